// Key management of the PKCS#11 backend: generating device keys on the token and listing
// them (ours, resident shares, and keys provisioned by other tools).
#include <openssl/rand.h>

#include <algorithm>

#include "pkcs11/attributes.hpp"
#include "pkcs11/ck_error.hpp"
#include "pkcs11/pkcs11_backend_impl.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;
using backend::KeyInfo;
using backend::KeyPurpose;

Bytes random_key_id(ByteView prefix, std::size_t random_bytes) {
  Bytes id(prefix.begin(), prefix.end());
  id.resize(prefix.size() + random_bytes);
  ossl::check(RAND_bytes(id.data() + prefix.size(), static_cast<int>(random_bytes)) == 1,
              "RAND_bytes");
  return id;
}

namespace {

bool is_share_id(const Bytes& id) {
  return id.size() > sizeof kShareIdPrefix &&
         std::equal(std::begin(kShareIdPrefix), std::end(kShareIdPrefix), id.begin());
}

}  // namespace

std::string Pkcs11Backend::key_uri(const std::optional<std::string>& label, const Bytes& id) const {
  KeyRef ref;
  ref.label = label;
  if (!id.empty()) ref.id = id;
  return format_key_uri(link_.token(), ref);
}

KeyInfo Pkcs11Backend::generate_in_session(Session& s, std::string_view label, KeyPurpose purpose) {
  const Curve& curve = Curve::p256();
  const bool enc = purpose == KeyPurpose::encryption;
  Bytes id = random_key_id({}, 16);
  Bytes params = ec_params_der(curve);
  Template pub;
  pub.add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, false)
      .add_bytes(CKA_EC_PARAMS, params)
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label))
      .add_bool(CKA_VERIFY, !enc)
      .add_bool(CKA_ENCRYPT, false)
      .add_bool(CKA_WRAP, false);
  // The private half: generated in the token, never readable (sensitive, not extractable),
  // usable for exactly one purpose so a signing key cannot be turned into a decryption oracle.
  Template priv;
  priv.add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, true)
      .add_bool(CKA_SENSITIVE, true)
      .add_bool(CKA_EXTRACTABLE, false)
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label))
      .add_bool(CKA_DERIVE, enc)
      .add_bool(CKA_SIGN, !enc)
      .add_bool(CKA_DECRYPT, false)
      .add_bool(CKA_UNWRAP, false);
  CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
  check_rv("C_GenerateKeyPair(EC P-256)",
           fn_->C_GenerateKeyPair(s.handle(), &mech, pub.data(), pub.size(), priv.data(),
                                  priv.size(), &hpub, &hpriv));
  ObjectGuard gpub(s, hpub), gpriv(s, hpriv);
  auto point = get_bytes(fn_, s.handle(), hpub, CKA_EC_POINT);
  if (!point)
    throw BackendError(BackendErrc::device, "the token did not return the new public key");
  KeyInfo info{key_uri(std::string(label), id), std::string(label), purpose,
               ec_point_from_attribute(curve, *point), false};
  gpub.release();
  gpriv.release();
  return info;
}

KeyInfo Pkcs11Backend::generate_key(std::string_view label, KeyPurpose purpose) {
  std::optional<KeyInfo> out;
  link_.run(true, [&](Session& s) { out.emplace(generate_in_session(s, label, purpose)); });
  return std::move(*out);
}

std::optional<Point> Pkcs11Backend::public_point_of(Session& s, CK_OBJECT_HANDLE priv,
                                                    const Bytes& id,
                                                    const std::optional<std::string>& label) {
  const Curve& curve = Curve::p256();
  // The public key object of the pair: same CKA_ID (what pkcs11-tool and we set), or the same
  // label when the key has no id.
  if (!id.empty() || label) {
    Template t;
    t.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY);
    if (!id.empty())
      t.add_bytes(CKA_ID, id);
    else
      t.add_bytes(CKA_LABEL, as_bytes(*label));
    for (CK_OBJECT_HANDLE h : find_objects(fn_, s.handle(), t.data(), t.size())) {
      if (auto v = get_bytes(fn_, s.handle(), h, CKA_EC_POINT)) {
        try {
          return ec_point_from_attribute(curve, *v);
        } catch (const Error&) {
        }
      }
    }
  }
  // PKCS#11 3.0 tokens may carry the SubjectPublicKeyInfo on the private key itself.
  if (auto spki = get_bytes(fn_, s.handle(), priv, CKA_PUBLIC_KEY_INFO); spki && !spki->empty()) {
    try {
      return Point::from_spki_der(*spki);
    } catch (const Error&) {
    }
  }
  return std::nullopt;
}

std::optional<KeyInfo> Pkcs11Backend::describe_key(Session& s, CK_OBJECT_HANDLE priv) {
  auto params = get_bytes(fn_, s.handle(), priv, CKA_EC_PARAMS);
  if (!params || !ec_params_match(Curve::p256(), *params)) return std::nullopt;
  Bytes id = get_bytes(fn_, s.handle(), priv, CKA_ID).value_or(Bytes{});
  std::optional<std::string> label;
  if (auto l = get_bytes(fn_, s.handle(), priv, CKA_LABEL); l && !l->empty())
    label = std::string(as_chars(*l));
  if (id.empty() && !label) return std::nullopt;  // nothing a URI could name it by
  const bool derive = get_bool(fn_, s.handle(), priv, CKA_DERIVE).value_or(false);
  const bool sign = get_bool(fn_, s.handle(), priv, CKA_SIGN).value_or(false);
  if (!derive && !sign) return std::nullopt;
  auto point = public_point_of(s, priv, id, label);
  if (!point) return std::nullopt;  // we could not tell the user which key it is
  return KeyInfo{key_uri(label, id), label.value_or(""),
                 derive ? KeyPurpose::encryption : KeyPurpose::signing, std::move(*point),
                 is_share_id(id)};
}

std::vector<KeyInfo> Pkcs11Backend::list_keys() {
  std::vector<KeyInfo> out;
  link_.run(true, [&](Session& s) {
    Template t;
    t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_ulong(CKA_KEY_TYPE, CKK_EC);
    for (CK_OBJECT_HANDLE h : find_objects(fn_, s.handle(), t.data(), t.size()))
      if (auto info = describe_key(s, h)) out.push_back(std::move(*info));
    // A removed SoftHSM2 token lists nothing rather than failing; an empty token is rare
    // enough to afford asking the token itself.
    if (out.empty()) link_.confirm_token();
  });
  return out;
}

KeyInfo Pkcs11Backend::seal_key(Session& s) {
  Template t;
  t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY)
      .add_ulong(CKA_KEY_TYPE, CKK_EC)
      .add_bytes(CKA_LABEL, as_bytes(config_.seal_key_label))
      .add_bool(CKA_DERIVE, true);
  for (CK_OBJECT_HANDLE h : find_objects(fn_, s.handle(), t.data(), t.size()))
    if (auto info = describe_key(s, h)) return std::move(*info);
  return generate_in_session(s, config_.seal_key_label, KeyPurpose::encryption);
}

}  // namespace recrypt::pkcs11
