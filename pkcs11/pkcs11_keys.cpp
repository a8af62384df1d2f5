// Key management of the PKCS#11 backend: generating device keys on the token and listing
// them (ours, resident shares, and keys provisioned by other tools).
#include <openssl/rand.h>

#include <algorithm>

#include "pkcs11/attributes.hpp"
#include "pkcs11/ck_error.hpp"
#include "pkcs11/pkcs11_backend_impl.hpp"
#include "pkcs11/piv_slots.hpp"
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

namespace {

// What to do on a token that makes no keys through PKCS#11 (a PIV card through OpenSC, or
// through ykcs11 without the management key): make them with the card's own tool and adopt them.
constexpr const char* kMakeKeysOnCard =
    "; make the keys with the card's own tool (PIV cards and YubiKeys: yubico-piv-tool -a "
    "generate -A ECCP256 -s 9d, then -s 9a and -s 9c) and name them with --encryption-key 9d "
    "--signing-key 9a (and --profile-key 9c for a new profile)";

}  // namespace

// Removes whatever a failed generation left under `id`: some modules (tpm2-pkcs11) create the
// objects before they find out the key is not what was asked for, and leave them behind.
void Pkcs11Backend::destroy_objects_with_id(Session& s, const Bytes& id) noexcept {
  try {
    Template t;
    t.add_bytes(CKA_ID, id);
    for (CK_OBJECT_HANDLE h : find_objects(fn_, s.handle(), t.data(), t.size()))
      fn_->C_DestroyObject(s.handle(), h);
  } catch (const BackendError&) {
    // The generation's own error is the one to report.
  }
}

KeyInfo Pkcs11Backend::generate_in_session(Session& s, std::string_view label, KeyPurpose purpose) {
  const Curve& curve = Curve::p256();
  const bool enc = purpose == KeyPurpose::encryption;
  // Asked before anything is made: a device key the token could not use is worse than none.
  if (enc)
    require_mechanism(&TokenMechanisms::ecdh, kNeedEcdh, "hold a device encryption key");
  else
    require_mechanism(&TokenMechanisms::ecdsa, kNeedEcdsa, "hold a signing key");
  if (auto m = link_.mechanisms(); m && !m->ec_key_pair_gen)
    throw BackendError(BackendErrc::unsupported, "token '" + token_label(link_.token()) +
                                                     "' cannot make keys: its module lists no " +
                                                     kNeedKeyGen + kMakeKeysOnCard);
  Bytes id = random_key_id({}, 16);
  Bytes params = ec_params_der(curve);
  // Usages are set on the private half only. Modules that tie usages together (tpm2-pkcs11
  // keeps one TPM bit for sign/encrypt and one for decrypt/verify) fail a template whose two
  // halves contradict each other, as a public CKA_VERIFY true beside a private CKA_DECRYPT
  // false did. The private half still has one purpose, so a signing key cannot be turned into
  // a decryption oracle. An ECDH key has CKA_DECRYPT on: a TPM key needs its decrypt bit for
  // ECDH, and no EC decryption mechanism exists to misuse it with.
  Template pub;
  pub.add_bool(CKA_TOKEN, true)
      .add_bytes(CKA_EC_PARAMS, params)
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label));
  Template priv;
  priv.add_bool(CKA_TOKEN, true)
      .add_bool(CKA_PRIVATE, true)
      .add_bool(CKA_SENSITIVE, true)
      .add_bool(CKA_EXTRACTABLE, false)
      .add_bytes(CKA_ID, id)
      .add_bytes(CKA_LABEL, as_bytes(label))
      .add_bool(CKA_DERIVE, enc)
      .add_bool(CKA_DECRYPT, enc)
      .add_bool(CKA_SIGN, !enc);
  CK_MECHANISM mech{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE, hpriv = CK_INVALID_HANDLE;
  CK_RV rv = fn_->C_GenerateKeyPair(s.handle(), &mech, pub.data(), pub.size(), priv.data(),
                                    priv.size(), &hpub, &hpriv);
  if (rv != CKR_OK) {
    destroy_objects_with_id(s, id);
    if (rv == CKR_FUNCTION_NOT_SUPPORTED || rv == CKR_USER_TYPE_INVALID ||
        rv == CKR_MECHANISM_INVALID)
      throw Pkcs11Error(BackendErrc::unsupported,
                        "token '" + token_label(link_.token()) + "' refused to make a key (" +
                            rv_name(rv) + ")" + kMakeKeysOnCard,
                        rv);
    throw_rv("C_GenerateKeyPair(EC P-256) on token '" + token_label(link_.token()) + "'", rv);
  }
  try {
    auto point = get_bytes(fn_, s.handle(), hpub, CKA_EC_POINT);
    if (!point)
      throw BackendError(BackendErrc::device, "the token did not return the new public key");
    return KeyInfo{key_uri(std::string(label), id), std::string(label), purpose,
                   ec_point_from_attribute(curve, *point), false};
  } catch (...) {
    destroy_objects_with_id(s, id);  // the pair we cannot describe is of no use to anyone
    throw;
  }
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
  // ykcs11 reports CKA_DERIVE false on every PIV key; the slot says what the key is for.
  std::optional<PivSlot> slot = label ? piv_slot_of_label(*label) : std::nullopt;
  const bool encryption = derive || (slot && slot->key_management);
  if (!encryption && !sign) return std::nullopt;
  auto point = public_point_of(s, priv, id, label);
  if (!point) return std::nullopt;  // we could not tell the user which key it is
  return KeyInfo{key_uri(label, id), label.value_or(""),
                 encryption ? KeyPurpose::encryption : KeyPurpose::signing, std::move(*point),
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

CK_OBJECT_HANDLE Pkcs11Backend::key_to_adopt(Session& s, std::string_view key) {
  std::optional<PivSlot> slot = piv_slot_named(key);
  if (!slot) return private_key(s, key).handle;
  for (const std::string& label : {slot->ykcs11_label, slot->opensc_label}) {
    Template t;
    t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY).add_bytes(CKA_LABEL, as_bytes(label));
    auto found = find_objects(fn_, s.handle(), t.data(), t.size());
    if (found.size() == 1) return found[0];
  }
  throw BackendError(BackendErrc::no_such_key,
                     "token '" + token_label(link_.token()) + "' shows no key in PIV slot " +
                         slot->name +
                         " (OpenSC shows a slot's key only once the slot holds a certificate: "
                         "yubico-piv-tool -a selfsign, then -a import-certificate)");
}

KeyInfo Pkcs11Backend::adopt_key(std::string_view key, KeyPurpose purpose) {
  const Curve& curve = Curve::p256();
  const std::string what = "key '" + std::string(key) + "'";
  std::optional<KeyInfo> out;
  link_.run(true, [&](Session& s) {
    CK_OBJECT_HANDLE priv = key_to_adopt(s, key);
    auto params = get_bytes(fn_, s.handle(), priv, CKA_EC_PARAMS);
    if (!params || !ec_params_match(curve, *params))
      throw BackendError(BackendErrc::unsupported, what + " is not a P-256 key");
    Bytes id = get_bytes(fn_, s.handle(), priv, CKA_ID).value_or(Bytes{});
    if (is_share_id(id))
      throw BackendError(BackendErrc::unsupported, what + " is a member share, not a device key");
    std::optional<std::string> label;
    if (auto l = get_bytes(fn_, s.handle(), priv, CKA_LABEL); l && !l->empty())
      label = std::string(as_chars(*l));
    std::optional<Point> point = public_point_of(s, priv, id, label);
    if (!point)
      throw BackendError(BackendErrc::device,
                         what + " has no public key the token will show (CKA_EC_POINT)");
    if (purpose == KeyPurpose::encryption) {
      // One ECDH proves the key works for it and is the key its public half says: x(d·G) = x(D).
      SecureBytes x;
      try {
        x = derive_x(s, priv, Point::generator(curve));
      } catch (const BackendError& e) {
        throw BackendError(e.code(), what + " cannot do ECDH: " + e.what());
      }
      if (!constant_time_equal(x, point->x_bytes()))
        throw BackendError(BackendErrc::device, what + " does not match its public key");
    } else {
      require_mechanism(&TokenMechanisms::ecdsa, kNeedEcdsa, "sign");
      if (get_bool(fn_, s.handle(), priv, CKA_SIGN) == false)
        throw BackendError(BackendErrc::unsupported, what + " cannot sign (CKA_SIGN is false)");
    }
    out.emplace(KeyInfo{key_uri(label, id), label.value_or(""), purpose, std::move(*point), false});
  });
  return std::move(*out);
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
