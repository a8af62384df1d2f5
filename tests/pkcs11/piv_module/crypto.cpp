// The card's mechanisms: what it lists, signatures (with 9c's PIN per signature), ECDH, and the
// secret-key operations a PIV card does not have.
#include <openssl/evp.h>

#include <cstring>
#include <type_traits>

#include "module.hpp"

namespace piv {

namespace {

constexpr CK_ULONG kPointSize = 65;   // 04 || X || Y on P-256
constexpr CK_ULONG kSecretSize = 32;  // the x of the shared point

// The mechanism if the card lists it for `flag` (CKF_SIGN, CKF_DERIVE ...).
bool listed_for(const CK_MECHANISM* mech, CK_FLAGS flag) {
  if (mech == nullptr) return false;
  auto info = mechanism_info(Profile::get(), mech->mechanism);
  return info && (info->flags & flag) != 0;
}

CK_RV get_mechanism_list(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list, CK_ULONG_PTR count) {
  std::lock_guard lock(mu);
  if (count == nullptr) return CKR_ARGUMENTS_BAD;
  CK_SLOT_INFO slot_info{};
  if (CK_RV rv = real->C_GetSlotInfo(slot, &slot_info); rv != CKR_OK) return rv;
  auto all = mechanisms(Profile::get());
  if (list == nullptr) {
    *count = all.size();
    return CKR_OK;
  }
  if (*count < all.size()) {
    *count = all.size();
    return CKR_BUFFER_TOO_SMALL;
  }
  for (size_t i = 0; i < all.size(); ++i) list[i] = all[i].type;
  *count = all.size();
  return CKR_OK;
}

CK_RV get_mechanism_info(CK_SLOT_ID slot, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR info) {
  std::lock_guard lock(mu);
  if (info == nullptr) return CKR_ARGUMENTS_BAD;
  CK_SLOT_INFO slot_info{};
  if (CK_RV rv = real->C_GetSlotInfo(slot, &slot_info); rv != CKR_OK) return rv;
  auto found = mechanism_info(Profile::get(), type);
  if (!found) return CKR_MECHANISM_INVALID;
  *info = *found;
  return CKR_OK;
}

// --- Signatures -----------------------------------------------------------------------------

// SoftHSM2 has no ECDSA with hashing. OpenSC hashes in software for the card, and so does this
// module for both flavours: the token signs the digest with plain CKM_ECDSA.
const EVP_MD* hash_of(CK_MECHANISM_TYPE type) {
  switch (type) {
    case CKM_ECDSA_SHA1:
      return EVP_sha1();
    case CKM_ECDSA_SHA224:
      return EVP_sha224();
    case CKM_ECDSA_SHA256:
      return EVP_sha256();
    case CKM_ECDSA_SHA384:
      return EVP_sha384();
    case CKM_ECDSA_SHA512:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

// The input the token signs: the data itself for CKM_ECDSA, else its digest.
std::vector<unsigned char> to_sign(CK_MECHANISM_TYPE type, const unsigned char* data,
                                   CK_ULONG len) {
  const EVP_MD* md = hash_of(type);
  if (md == nullptr) return std::vector<unsigned char>(data, data + len);
  std::vector<unsigned char> digest(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  EVP_Digest(data, len, digest.data(), &n, md, nullptr);
  digest.resize(n);
  return digest;
}

void end_signature(SessionState& st) {
  st.signing = false;
  st.sign_mechanism = 0;
  st.to_hash.clear();
  st.needs_context_login = false;
  st.context_login_done = false;
}

CK_RV sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  std::lock_guard lock(mu);
  if (!listed_for(mech, CKF_SIGN)) return CKR_MECHANISM_INVALID;
  if (!logged_in(session)) return CKR_USER_NOT_LOGGED_IN;
  auto s = shown(session, key);
  if (!s || !s->slot || s->cls != CKO_PRIVATE_KEY) return CKR_KEY_HANDLE_INVALID;
  if (!reports_sign(Profile::get(), *s->slot)) return CKR_KEY_TYPE_INCONSISTENT;
  SessionState& st = sessions[session];
  if (st.signing) return CKR_OPERATION_ACTIVE;
  CK_MECHANISM raw{CKM_ECDSA, nullptr, 0};
  CK_RV rv = real->C_SignInit(session, &raw, key);
  if (rv != CKR_OK) return rv;
  st.signing = true;
  st.sign_mechanism = mech->mechanism;
  st.needs_context_login = always_authenticate(*s->slot);
  st.context_login_done = false;
  return CKR_OK;
}

// True when the signature in progress may not go on: an always-authenticate key without its
// context-specific login. The card refuses the signature and the operation ends.
bool refused_for_pin(SessionState& st) { return st.needs_context_login && !st.context_login_done; }

// Ends the token's operation when the card refuses the signature: the token signs with
// single-part CKM_ECDSA, so one C_Sign into a scratch buffer ends it.
void abandon_signature(CK_SESSION_HANDLE session, SessionState& st) {
  unsigned char scratch[512];
  CK_ULONG len = sizeof scratch;
  unsigned char nothing = 0;
  real->C_Sign(session, &nothing, 1, scratch, &len);
  end_signature(st);
}

// Whether a sign call that returned `rv` ended the operation (PKCS#11: all but a length query
// and a short buffer do).
bool ends_signature(CK_RV rv, CK_BYTE_PTR signature) {
  return !(rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && signature == nullptr));
}

CK_RV sign(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len, CK_BYTE_PTR signature,
           CK_ULONG_PTR signature_len) {
  std::lock_guard lock(mu);
  SessionState& st = sessions[session];
  if (st.signing && refused_for_pin(st)) {
    abandon_signature(session, st);
    return CKR_USER_NOT_LOGGED_IN;
  }
  if (data == nullptr && len > 0) return CKR_ARGUMENTS_BAD;
  auto input = to_sign(st.sign_mechanism, data, len);
  CK_RV rv = real->C_Sign(session, input.data(), input.size(), signature, signature_len);
  if (ends_signature(rv, signature)) end_signature(st);
  return rv;
}

CK_RV sign_update(CK_SESSION_HANDLE session, CK_BYTE_PTR data, CK_ULONG len) {
  std::lock_guard lock(mu);
  SessionState& st = sessions[session];
  if (st.signing && refused_for_pin(st)) {
    abandon_signature(session, st);
    return CKR_USER_NOT_LOGGED_IN;
  }
  if (!st.signing) return CKR_OPERATION_NOT_INITIALIZED;
  if (hash_of(st.sign_mechanism) == nullptr) {  // raw ECDSA is single-part
    abandon_signature(session, st);
    return CKR_FUNCTION_NOT_SUPPORTED;
  }
  if (data == nullptr && len > 0) return CKR_ARGUMENTS_BAD;
  st.to_hash.insert(st.to_hash.end(), data, data + len);
  return CKR_OK;
}

CK_RV sign_final(CK_SESSION_HANDLE session, CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
  std::lock_guard lock(mu);
  SessionState& st = sessions[session];
  if (st.signing && refused_for_pin(st)) {
    abandon_signature(session, st);
    return CKR_USER_NOT_LOGGED_IN;
  }
  if (!st.signing) return CKR_OPERATION_NOT_INITIALIZED;
  auto input = to_sign(st.sign_mechanism, st.to_hash.data(), st.to_hash.size());
  CK_RV rv = real->C_Sign(session, input.data(), input.size(), signature, signature_len);
  if (ends_signature(rv, signature)) end_signature(st);
  return rv;
}

CK_RV verify_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  std::lock_guard lock(mu);
  if (!listed_for(mech, CKF_VERIFY)) return CKR_MECHANISM_INVALID;
  if (!shown(session, key)) return CKR_KEY_HANDLE_INVALID;
  return real->C_VerifyInit(session, mech, key);
}

CK_RV digest_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech) {
  std::lock_guard lock(mu);
  if (!listed_for(mech, CKF_DIGEST)) return CKR_MECHANISM_INVALID;
  return real->C_DigestInit(session, mech);
}

// No listed mechanism encrypts or decrypts: EC keys only sign and derive, and there is no AES.
CK_RV encrypt_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  std::lock_guard lock(mu);
  if (!listed_for(mech, CKF_ENCRYPT)) return CKR_MECHANISM_INVALID;
  return real->C_EncryptInit(session, mech, key);
}

CK_RV decrypt_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE key) {
  std::lock_guard lock(mu);
  if (!listed_for(mech, CKF_DECRYPT)) return CKR_MECHANISM_INVALID;
  return real->C_DecryptInit(session, mech, key);
}

// --- What a PIV card cannot do --------------------------------------------------------------

CK_RV generate_key_pair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG,
                        CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR, CK_OBJECT_HANDLE_PTR) {
  std::lock_guard lock(mu);
  if (!Profile::get().ykcs11()) return CKR_FUNCTION_NOT_SUPPORTED;  // no PIV profile to write
  // ykcs11 generates with the management key, given as the SO PIN; that path is not modelled.
  return logged_in(session, true) ? CKR_FUNCTION_NOT_SUPPORTED : CKR_USER_TYPE_INVALID;
}

CK_RV generate_key(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_ATTRIBUTE_PTR, CK_ULONG,
                   CK_OBJECT_HANDLE_PTR) {
  return Profile::get().ykcs11() ? CKR_FUNCTION_NOT_SUPPORTED : CKR_MECHANISM_INVALID;
}

CK_RV wrap_key(CK_SESSION_HANDLE, CK_MECHANISM_PTR, CK_OBJECT_HANDLE, CK_OBJECT_HANDLE, CK_BYTE_PTR,
               CK_ULONG_PTR) {
  return Profile::get().ykcs11() ? CKR_FUNCTION_NOT_SUPPORTED : CKR_MECHANISM_INVALID;
}

// OpenSC checks the unwrapping key first: an EC key does not unwrap. Any other key would need
// a mechanism the card does not have.
CK_RV unwrap_key(CK_SESSION_HANDLE session, CK_MECHANISM_PTR, CK_OBJECT_HANDLE unwrapping_key,
                 CK_BYTE_PTR, CK_ULONG, CK_ATTRIBUTE_PTR, CK_ULONG, CK_OBJECT_HANDLE_PTR) {
  std::lock_guard lock(mu);
  if (Profile::get().ykcs11()) return CKR_FUNCTION_NOT_SUPPORTED;
  auto s = shown(session, unwrapping_key);
  if (!s) return CKR_KEY_HANDLE_INVALID;
  return s->slot ? CKR_KEY_TYPE_INCONSISTENT : CKR_MECHANISM_INVALID;
}

// --- ECDH -----------------------------------------------------------------------------------

struct Wanted {
  std::optional<CK_OBJECT_CLASS> cls;
  std::optional<CK_KEY_TYPE> key_type;
  std::optional<CK_BBOOL> token, extractable;
  std::string label;
};

Wanted read_template(CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  Wanted w;
  for (CK_ULONG i = 0; i < count; ++i) {
    const CK_ATTRIBUTE& a = tmpl[i];
    if (a.pValue == nullptr) continue;
    auto take = [&a](auto& field) {
      using T = typename std::remove_reference_t<decltype(field)>::value_type;
      if (a.ulValueLen != sizeof(T)) return;
      T v;
      std::memcpy(&v, a.pValue, sizeof v);
      field = v;
    };
    if (a.type == CKA_CLASS) take(w.cls);
    if (a.type == CKA_KEY_TYPE) take(w.key_type);
    if (a.type == CKA_TOKEN) take(w.token);
    if (a.type == CKA_EXTRACTABLE) take(w.extractable);
    if (a.type == CKA_LABEL) w.label.assign(static_cast<const char*>(a.pValue), a.ulValueLen);
  }
  return w;
}

// ykcs11's order: the key, the parameters, the template; the card then needs the PIN. (ykcs11
// knows its key handles without a login; SoftHSM2 hides private keys until one, so the key is
// checked only while logged in.)
CK_RV ykcs11_derive_rules(CK_SESSION_HANDLE session, const CK_MECHANISM& mech,
                          const std::optional<Shown>& base, const Wanted& w) {
  bool user = logged_in(session);
  if (user && (!base || !base->slot || base->cls != CKO_PRIVATE_KEY)) return CKR_KEY_HANDLE_INVALID;
  auto* params = static_cast<const CK_ECDH1_DERIVE_PARAMS*>(mech.pParameter);
  if (params == nullptr || mech.ulParameterLen != sizeof *params || params->kdf != CKD_NULL ||
      params->ulSharedDataLen != 0 || params->ulPublicDataLen != kPointSize)
    return CKR_MECHANISM_PARAM_INVALID;
  if ((w.cls && *w.cls != CKO_SECRET_KEY) || (w.key_type && *w.key_type != CKK_GENERIC_SECRET) ||
      (w.token && *w.token != CK_FALSE) || (w.extractable && *w.extractable != CK_TRUE))
    return CKR_ATTRIBUTE_VALUE_INVALID;
  if (!user) return CKR_FUNCTION_FAILED;  // the card's "security status not satisfied"
  return CKR_OK;
}

// OpenSC's order: the login, the key's usage, the template; the card then sees the point.
CK_RV opensc_derive_rules(CK_SESSION_HANDLE session, const CK_MECHANISM& mech,
                          const std::optional<Shown>& base, const Wanted& w) {
  if (!logged_in(session)) return CKR_USER_NOT_LOGGED_IN;
  if (!base || !base->slot) return CKR_KEY_HANDLE_INVALID;
  if (base->cls != CKO_PRIVATE_KEY || !reports_derive(Profile::get(), *base->slot))
    return CKR_KEY_TYPE_INCONSISTENT;
  if (!w.key_type) return CKR_TEMPLATE_INCOMPLETE;
  if (*w.key_type != CKK_GENERIC_SECRET && *w.key_type != CKK_AES && *w.key_type != CKK_DES &&
      *w.key_type != CKK_DES3)
    return CKR_ATTRIBUTE_VALUE_INVALID;
  if (w.token && *w.token == CK_TRUE) return CKR_FUNCTION_NOT_SUPPORTED;
  auto* params = static_cast<const CK_ECDH1_DERIVE_PARAMS*>(mech.pParameter);
  if (params == nullptr || params->pPublicData == nullptr) return CKR_ARGUMENTS_BAD;
  if (params->ulPublicDataLen != kPointSize || params->pPublicData[0] != 0x04)
    return CKR_DATA_INVALID;
  return CKR_OK;
}

CK_RV derive_key(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mech, CK_OBJECT_HANDLE base_key,
                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key) {
  std::lock_guard lock(mu);
  Profile p = Profile::get();
  if (!listed_for(mech, CKF_DERIVE)) return CKR_MECHANISM_INVALID;  // RECRYPT_PIV_NO_ECDH too
  if (key == nullptr || (tmpl == nullptr && count > 0)) return CKR_ARGUMENTS_BAD;
  auto base = shown(session, base_key);
  Wanted w = read_template(tmpl, count);
  CK_RV rv = p.ykcs11() ? ykcs11_derive_rules(session, *mech, base, w)
                        : opensc_derive_rules(session, *mech, base, w);
  if (rv != CKR_OK) return rv;

  // SoftHSM2 does the arithmetic (it needs its own CKA_DERIVE on the key: piv_card.sh sets
  // it) and keeps the x as a readable session secret.
  auto* params = static_cast<const CK_ECDH1_DERIVE_PARAMS*>(mech->pParameter);
  CK_ECDH1_DERIVE_PARAMS raw{CKD_NULL, 0, nullptr, kPointSize, params->pPublicData};
  CK_MECHANISM ecdh{CKM_ECDH1_DERIVE, &raw, sizeof raw};
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = p.ykcs11() ? CKK_GENERIC_SECRET : *w.key_type;
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
  CK_ULONG size = kSecretSize;
  std::string label = p.ykcs11() ? kYkcs11SecretLabel : w.label;
  CK_ATTRIBUTE secret[] = {
      {CKA_CLASS, &cls, sizeof cls},       {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &no, sizeof no},         {CKA_PRIVATE, &yes, sizeof yes},
      {CKA_SENSITIVE, &no, sizeof no},     {CKA_EXTRACTABLE, &yes, sizeof yes},
      {CKA_VALUE_LEN, &size, sizeof size}, {CKA_LABEL, label.data(), label.size()}};
  rv = real->C_DeriveKey(session, &ecdh, base_key, secret, std::size(secret), key);
  if (rv == CKR_OK) session_objects[*key] = session;
  return rv;
}

}  // namespace

void install_crypto_functions(CK_FUNCTION_LIST& list) {
  list.C_GetMechanismList = get_mechanism_list;
  list.C_GetMechanismInfo = get_mechanism_info;
  list.C_SignInit = sign_init;
  list.C_Sign = sign;
  list.C_SignUpdate = sign_update;
  list.C_SignFinal = sign_final;
  list.C_VerifyInit = verify_init;
  list.C_DigestInit = digest_init;
  list.C_EncryptInit = encrypt_init;
  list.C_DecryptInit = decrypt_init;
  list.C_GenerateKeyPair = generate_key_pair;
  list.C_GenerateKey = generate_key;
  list.C_WrapKey = wrap_key;
  list.C_UnwrapKey = unwrap_key;
  list.C_DeriveKey = derive_key;
}

}  // namespace piv
