// The operations that use a private key on the token: ECDH (x-coordinate only), ECDSA over a
// digest, and sealing a secret to a token key (here, or elsewhere and imported).
#include "pkcs11/attributes.hpp"
#include "pkcs11/ck_error.hpp"
#include "pkcs11/pkcs11_backend_impl.hpp"
#include "pkcs11/sealed_blob.hpp"
#include "base/error.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

Pkcs11Backend::KeyHandle Pkcs11Backend::private_key(Session& s, std::string_view key_id) {
  if (handles_epoch_ != link_.handle_epoch()) {
    handles_.clear();  // a stale handle could name another object
    handles_epoch_ = link_.handle_epoch();
  }
  std::string id_str(key_id);
  if (auto it = handles_.find(id_str); it != handles_.end()) return it->second;
  std::optional<KeyRef> ref = parse_key_uri(key_id, link_.token());
  if (!ref)
    throw BackendError(
        BackendErrc::no_such_key,
        "'" + id_str + "' names no private key on token '" + token_label(link_.token()) + "'");
  Template t;
  t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
  if (ref->label) t.add_bytes(CKA_LABEL, as_bytes(*ref->label));
  if (ref->id) t.add_bytes(CKA_ID, *ref->id);
  auto found = find_objects(fn_, s.handle(), t.data(), t.size());
  if (found.empty())
    throw BackendError(BackendErrc::no_such_key,
                       "no key '" + id_str + "' on token '" + token_label(link_.token()) + "'");
  if (found.size() > 1)
    throw BackendError(
        BackendErrc::no_such_key,
        "'" + id_str + "' matches " + std::to_string(found.size()) + " keys; give its id= as well");
  KeyHandle h{found[0],
              get_bool(fn_, s.handle(), found[0], CKA_ALWAYS_AUTHENTICATE).value_or(false)};
  handles_.emplace(std::move(id_str), h);
  return h;
}

SecureBytes Pkcs11Backend::derive_x(Session& s, CK_OBJECT_HANDLE key, const Point& peer) {
  // Not called on a module that does not list it: some (tpm2-pkcs11 1.9.0) abort.
  require_mechanism(&TokenMechanisms::ecdh, kNeedEcdh, "do ECDH");
  Bytes pub = peer.to_uncompressed();
  CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(pub.size()),
                                pub.data()};
  CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
  const CK_ULONG len = peer.curve().coordinate_size();
  CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_GENERIC_SECRET;
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
  CK_ULONG value_len = len;
  // A session object readable only so that we can take Z.x out of it once; destroyed below.
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &klass, sizeof klass},   {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &no, sizeof no},         {CKA_SENSITIVE, &no, sizeof no},
      {CKA_EXTRACTABLE, &yes, sizeof yes}, {CKA_VALUE_LEN, &value_len, sizeof value_len},
  };
  CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
  check_rv("C_DeriveKey(ECDH1)", fn_->C_DeriveKey(s.handle(), &mech, key, tmpl, 6, &obj));
  ObjectGuard guard(s, obj);
  SecureBytes x(len);
  get_secret(fn_, s.handle(), obj, CKA_VALUE, x, "a shared secret");
  return x;
}

backend::EcdhResult Pkcs11Backend::ecdh(std::string_view key_id, const Point& peer) {
  backend::EcdhResult out;
  link_.run(true, [&](Session& s) { out.x = derive_x(s, private_key(s, key_id).handle, peer); });
  return out;
}

Bytes Pkcs11Backend::sign_digest(std::string_view key_id, ByteView digest) {
  if (digest.size() != 32) fail(Errc::malformed, "sign_digest wants a 32-byte SHA-256 digest");
  Bytes sig(2 * Curve::p256().coordinate_size());
  link_.run(true, [&](Session& s) {
    KeyHandle h = private_key(s, key_id);
    CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
    check_rv("C_SignInit(ECDSA)", fn_->C_SignInit(s.handle(), &mech, h.handle));
    if (h.always_authenticate) link_.context_login();
    CK_ULONG len = static_cast<CK_ULONG>(sig.size());
    check_rv("C_Sign(ECDSA)", fn_->C_Sign(s.handle(), const_cast<std::uint8_t*>(digest.data()),
                                          static_cast<CK_ULONG>(digest.size()), sig.data(), &len));
    if (len != sig.size())
      throw BackendError(BackendErrc::device,
                         "the token returned an ECDSA signature of the wrong size");
  });
  return sig;
}

Bytes Pkcs11Backend::seal(std::string_view label, ByteView secret) {
  std::optional<backend::KeyInfo> key;
  link_.run(true, [&](Session& s) { key.emplace(seal_key(s)); });
  return seal_to_token_key(key->public_key, key->id, label, secret);
}

CK_OBJECT_HANDLE Pkcs11Backend::sealing_key(Session& s, const SealedBlob& blob) {
  if (!blob.key_uri.empty()) return private_key(s, blob.key_uri).handle;
  if (auto key = private_key_for_point(s, blob.token_key)) return *key;
  throw BackendError(BackendErrc::no_such_key,
                     "the secret is sealed to a device encryption key that is not on token '" +
                         token_label(link_.token()) +
                         "' (no private key that can derive has its public point)");
}

SecureBytes Pkcs11Backend::unseal(ByteView sealed_blob) {
  SealedBlob parsed = parse_sealed_blob(sealed_blob);
  SecureBytes z;
  link_.run(true, [&](Session& s) { z = derive_x(s, sealing_key(s, parsed), parsed.ephemeral); });
  return open_sealed_blob(parsed, sealed_blob, z);
}

Bytes Pkcs11Backend::import_sealed(std::string_view label, const backend::WrappedShare& wrapped) {
  if (wrapped.format != kSealedSecretFormat)
    throw BackendError(
        BackendErrc::unsupported,
        "the pkcs11 backend cannot import a sealed secret in format '" + wrapped.format + "'");
  const SealedBlob parsed = parse_sealed_blob(wrapped.data);
  // The sender knows the token key by its point only; a key id in the blob would be one the
  // sender made up, and unseal() would look for it instead.
  if (!parsed.key_uri.empty())
    fail(Errc::malformed, "a pkcs11-sealed-v1 secret names its token key by its point only");
  if (parsed.label != label)
    fail(Errc::malformed, "the sealed secret was wrapped as '" + parsed.label + "', not as '" +
                              std::string(label) + "'");
  // Nothing is decrypted here: the secret stays sealed to the token key until unseal().
  link_.run(true, [&](Session& s) {
    require_mechanism(&TokenMechanisms::ecdh, kNeedEcdh, "open a sealed secret");
    sealing_key(s, parsed);
  });
  return Bytes(wrapped.data.begin(), wrapped.data.end());
}

}  // namespace recrypt::pkcs11
