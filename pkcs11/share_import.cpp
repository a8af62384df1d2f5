// Importing a member share into the token (import_share): in-token unwrap of format
// "pkcs11-ecdh-aeskwp-v1", or the clear-text fallback "raw-scalar-v1" (docs/PKCS11.md).
#include "pkcs11/attributes.hpp"
#include "pkcs11/ck_error.hpp"
#include "pkcs11/pkcs11_backend_impl.hpp"
#include "pkcs11/share_wrap.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;
using backend::KeyInfo;
using backend::KeyPurpose;

namespace {

// What a resident share is on the token, however it got there: a persistent, sensitive,
// non-extractable EC key for ECDH only. CKA_UNWRAP is false explicitly: SoftHSM2 defaults it
// to true for unwrapped keys.
Template share_key_template(std::string_view label, ByteView id) {
  Template t;
  t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY)
      .add_ulong(CKA_KEY_TYPE, CKK_EC)
      .add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, true)
      .add_bool(CKA_SENSITIVE, true)
      .add_bool(CKA_EXTRACTABLE, false)
      .add_bool(CKA_DERIVE, true)
      .add_bool(CKA_SIGN, false)
      .add_bool(CKA_DECRYPT, false)
      .add_bool(CKA_UNWRAP, false)
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label));
  return t;
}

}  // namespace

std::optional<CK_OBJECT_HANDLE> Pkcs11Backend::private_key_for_point(Session& s,
                                                                     const Point& device_key) {
  // Find the public key object by its point (DER as the standard says, or raw), then its
  // private half by CKA_ID.
  for (const Bytes& form : {ec_point_der(device_key), device_key.to_uncompressed()}) {
    Template t;
    t.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY).add_bytes(CKA_EC_POINT, form);
    for (CK_OBJECT_HANDLE pub : find_objects(fn_, s.handle(), t.data(), t.size())) {
      auto id = get_bytes(fn_, s.handle(), pub, CKA_ID);
      if (!id || id->empty()) continue;
      Template p;
      p.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_bytes(CKA_ID, *id).add_bool(CKA_DERIVE, true);
      auto priv = find_objects(fn_, s.handle(), p.data(), p.size());
      if (priv.size() == 1) return priv[0];
    }
  }
  return std::nullopt;
}

KeyInfo Pkcs11Backend::finish_import(Session& s, std::string_view label, CK_OBJECT_HANDLE priv,
                                     const Bytes& id, const Point& share_public) {
  ObjectGuard gpriv(s, priv);
  const Curve& curve = share_public.curve();
  // A public key object beside it, so that list_keys() shows the share like any key pair.
  Bytes params = ec_params_der(curve);
  Template pub;
  pub.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY)
      .add_ulong(CKA_KEY_TYPE, CKK_EC)
      .add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, false)
      .add_bytes(CKA_EC_PARAMS, params)
      .add_bytes(CKA_EC_POINT, ec_point_der(share_public))
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label));
  CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;
  check_rv("C_CreateObject(public key)",
           fn_->C_CreateObject(s.handle(), pub.data(), pub.size(), &hpub));
  ObjectGuard gpub(s, hpub);
  // Check the token holds the share we were told about: x(share·G) must equal x(X).
  SecureBytes x = derive_x(s, priv, Point::generator(curve));
  Bytes want = share_public.x_bytes();
  if (!constant_time_equal(x, want))
    fail(Errc::decrypt_failed, "the imported share does not match its public key");
  gpriv.release();
  gpub.release();
  return KeyInfo{key_uri(std::string(label), id), std::string(label), KeyPurpose::encryption,
                 share_public, true};
}

KeyInfo Pkcs11Backend::import_kwp(Session& s, std::string_view label, ByteView data) {
  KwpShare share = parse_kwp_share(data);
  require_mechanism(&TokenMechanisms::ecdh, kNeedEcdh, "hold a member share");
  require_mechanism(&TokenMechanisms::aes_key_wrap_pad, kNeedKwp, "hold a member share");
  const std::optional<CK_OBJECT_HANDLE> device = private_key_for_point(s, share.device_key);
  if (!device)
    throw BackendError(BackendErrc::no_such_key,
                       "the share is wrapped for a device key that is not on token '" +
                           token_label(link_.token()) + "'");

  // KEK = x(d·E) as an AES-256 key that can only unwrap and never leaves the token.
  Bytes pub = share.ephemeral.to_uncompressed();
  CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(pub.size()),
                                pub.data()};
  CK_MECHANISM derive{CKM_ECDH1_DERIVE, &params, sizeof params};
  Template kek_t;
  kek_t.add_ulong(CKA_CLASS, CKO_SECRET_KEY)
      .add_ulong(CKA_KEY_TYPE, CKK_AES)
      .add_ulong(CKA_VALUE_LEN, 32)
      .add_bool(CKA_TOKEN, false)
      .add_bool(CKA_SENSITIVE, true)
      .add_bool(CKA_EXTRACTABLE, false)
      .add_bool(CKA_UNWRAP, true)
      .add_bool(CKA_WRAP, false)
      .add_bool(CKA_ENCRYPT, false)
      .add_bool(CKA_DECRYPT, false)
      .add_bool(CKA_DERIVE, false);
  CK_OBJECT_HANDLE kek = CK_INVALID_HANDLE;
  check_rv("C_DeriveKey(ECDH1 to AES KEK)",
           fn_->C_DeriveKey(s.handle(), &derive, *device, kek_t.data(), kek_t.size(), &kek));
  ObjectGuard gkek(s, kek);

  Bytes id = random_key_id(ByteView(kShareIdPrefix, sizeof kShareIdPrefix), 12);
  Template key_t = share_key_template(label, id);
  CK_MECHANISM kwp{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  CK_RV rv = fn_->C_UnwrapKey(s.handle(), &kwp, kek, share.wrapped.data(),
                              static_cast<CK_ULONG>(share.wrapped.size()), key_t.data(),
                              key_t.size(), &priv);
  // A KEK that does not fit fails the RFC 5649 integrity check; SoftHSM2 says so with
  // CKR_GENERAL_ERROR, others with CKR_WRAPPED_KEY_INVALID or CKR_ENCRYPTED_DATA_INVALID.
  if (rv == CKR_GENERAL_ERROR || rv == CKR_WRAPPED_KEY_INVALID || rv == CKR_ENCRYPTED_DATA_INVALID)
    fail(Errc::decrypt_failed,
         "the token could not unwrap the share: it is damaged or wrapped for another key");
  check_rv("C_UnwrapKey(AES-KEY-WRAP-PAD)", rv);
  return finish_import(s, label, priv, id, share.share_public);
}

KeyInfo Pkcs11Backend::import_raw(Session& s, std::string_view label, ByteView data) {
  const Curve& curve = Curve::p256();
  Scalar x = Scalar::from_bytes(curve, data);
  SecureBytes value = x.to_bytes();
  Bytes id = random_key_id(ByteView(kShareIdPrefix, sizeof kShareIdPrefix), 12);
  Template t = share_key_template(label, id);
  t.add_bytes(CKA_EC_PARAMS, ec_params_der(curve)).add_secret(CKA_VALUE, value);
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;
  check_rv("C_CreateObject(private key)",
           fn_->C_CreateObject(s.handle(), t.data(), t.size(), &priv));
  return finish_import(s, label, priv, id, x.public_point());
}

KeyInfo Pkcs11Backend::import_share(std::string_view label, const backend::WrappedShare& share) {
  if (share.format != kShareFormatKwp && share.format != backend::kRawScalarShare)
    throw BackendError(BackendErrc::unsupported,
                       "share format '" + share.format + "' is not one the pkcs11 backend imports");
  std::optional<KeyInfo> out;
  link_.run(true, [&](Session& s) {
    out.emplace(share.format == kShareFormatKwp ? import_kwp(s, label, share.data)
                                                : import_raw(s, label, share.data));
  });
  return std::move(*out);
}

}  // namespace recrypt::pkcs11
