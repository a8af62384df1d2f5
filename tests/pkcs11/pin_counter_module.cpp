// TEST FIXTURE ONLY: a PKCS#11 module that wraps SoftHSM2 and adds the user-PIN retry counter
// of a real smartcard, which SoftHSM2 lacks (upstream issue #399). It lets the tests drive the
// backend through "wrong PIN, N tries left" and "PIN blocked" against a real token.
//
// It loads the real module (RECRYPT_PIN_COUNTER_TARGET, default SoftHSM2's), copies its
// function list and replaces two entries; every other call goes to the real module unchanged.
//
// - C_Login(CKU_USER) counts consecutive CKR_PIN_INCORRECT per slot. After
//   RECRYPT_PIN_COUNTER_TRIES of them (default 3) the PIN is blocked: every later CKU_USER
//   login gets CKR_PIN_LOCKED, the right PIN too, without reaching the real module. A login
//   that succeeds before that resets the counter, as on a card.
// - C_GetTokenInfo reports the counter as a smartcard's module does: CKF_USER_PIN_COUNT_LOW
//   once a try has failed, CKF_USER_PIN_FINAL_TRY when one try is left, CKF_USER_PIN_LOCKED
//   when none is. SoftHSM2's own CKF_USER_PIN_COUNT_LOW (set on any wrong PIN, cleared on a
//   good one) is replaced by ours so the flags describe one consistent counter.
//   RECRYPT_PIN_COUNTER_FLAGS=0 models a module that reports no counter at all: the flags are
//   left out (SoftHSM2's own COUNT_LOW too), and only C_Login says CKR_PIN_LOCKED.
//
// - RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE=1: C_DeriveKey into a CKK_AES key answers
//   CKR_ARGUMENTS_BAD, as tpm2-pkcs11 1.9.1 and later do (their ECDH makes generic secrets
//   only), while the mechanism list still offers ECDH and AES-KEY-WRAP-PAD. It lets the tests
//   see a token refuse the in-token unwrap of a member share for a reason no list announces.
//
// - RECRYPT_PIN_COUNTER_FAIL_GENERATION=1: C_GenerateKeyPair makes the pair on SoftHSM2,
//   then answers CKR_GENERAL_ERROR without handing out its handles, as tpm2-pkcs11 does when
//   the key the TPM made does not match the template. Whoever generated must clean up.
//
// The counter lives in this process only (a card keeps it across processes; the tests do not
// need that). Nothing resets a blocked PIN: the tests make a fresh token for each case.
// pin_counter_logins() tells the tests how many CKU_USER logins reached this module.
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace {

std::mutex mu;
std::map<CK_SLOT_ID, unsigned long> failures;  // consecutive wrong user PINs, per slot
unsigned long user_logins = 0;                 // CKU_USER logins that reached us
CK_FUNCTION_LIST* real = nullptr;              // the wrapped module's list
CK_FUNCTION_LIST ours{};                       // a copy of it with our entries

bool report_flags() {
  const char* v = std::getenv("RECRYPT_PIN_COUNTER_FLAGS");
  return v == nullptr || std::string(v) != "0";
}

unsigned long max_tries() {
  const char* v = std::getenv("RECRYPT_PIN_COUNTER_TRIES");
  unsigned long n = v != nullptr ? std::strtoul(v, nullptr, 10) : 0;
  return n > 0 ? n : 3;
}

CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  if (user != CKU_USER) return real->C_Login(session, user, pin, len);
  CK_SESSION_INFO info{};
  CK_RV rv = real->C_GetSessionInfo(session, &info);
  if (rv != CKR_OK) return rv;
  std::lock_guard lock(mu);
  ++user_logins;
  unsigned long& failed = failures[info.slotID];
  if (failed >= max_tries()) return CKR_PIN_LOCKED;  // blocked: the PIN is not even checked
  rv = real->C_Login(session, user, pin, len);
  if (rv == CKR_PIN_INCORRECT)
    ++failed;
  else if (rv == CKR_OK)
    failed = 0;
  return rv;
}

CK_RV token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  CK_RV rv = real->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;
  std::lock_guard lock(mu);
  auto it = failures.find(slot);
  unsigned long failed = it != failures.end() ? it->second : 0;
  unsigned long max = max_tries();
  unsigned long left = failed < max ? max - failed : 0;
  info->flags &= ~(CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
  if (!report_flags()) return CKR_OK;
  if (left == 0)
    info->flags |= CKF_USER_PIN_LOCKED;
  else if (left == 1)
    info->flags |= CKF_USER_PIN_FINAL_TRY;
  else if (failed > 0)
    info->flags |= CKF_USER_PIN_COUNT_LOW;
  return CKR_OK;
}

bool refuse_aes_derive() {
  const char* v = std::getenv("RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE");
  return v != nullptr && std::string(v) == "1";
}

CK_RV derive_key(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE base,
                 CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_OBJECT_HANDLE_PTR key) {
  if (refuse_aes_derive() && tmpl != nullptr) {
    for (CK_ULONG i = 0; i < count; ++i) {
      const CK_ATTRIBUTE& a = tmpl[i];
      if (a.type == CKA_KEY_TYPE && a.pValue != nullptr && a.ulValueLen == sizeof(CK_KEY_TYPE) &&
          *static_cast<const CK_KEY_TYPE*>(a.pValue) == CKK_AES)
        return CKR_ARGUMENTS_BAD;
    }
  }
  return real->C_DeriveKey(session, mechanism, base, tmpl, count, key);
}

CK_RV generate_key_pair(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_ATTRIBUTE_PTR pub,
                        CK_ULONG pub_count, CK_ATTRIBUTE_PTR priv, CK_ULONG priv_count,
                        CK_OBJECT_HANDLE_PTR hpub, CK_OBJECT_HANDLE_PTR hpriv) {
  CK_RV rv =
      real->C_GenerateKeyPair(session, mechanism, pub, pub_count, priv, priv_count, hpub, hpriv);
  const char* v = std::getenv("RECRYPT_PIN_COUNTER_FAIL_GENERATION");
  if (rv != CKR_OK || v == nullptr || std::string(v) != "1") return rv;
  *hpub = CK_INVALID_HANDLE;
  *hpriv = CK_INVALID_HANDLE;
  return CKR_GENERAL_ERROR;
}

CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR list);

bool load() {
  if (real != nullptr) return true;
  const char* path = std::getenv("RECRYPT_PIN_COUNTER_TARGET");
  if (path == nullptr || *path == '\0') path = "/usr/lib/softhsm/libsofthsm2.so";
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);  // never closed, like the backend's
  if (handle == nullptr) return false;
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* list = nullptr;
  if (get == nullptr || get(&list) != CKR_OK || list == nullptr) return false;
  ours = *list;
  ours.C_GetFunctionList = get_function_list;
  ours.C_Login = login;
  ours.C_GetTokenInfo = token_info;
  ours.C_DeriveKey = derive_key;
  ours.C_GenerateKeyPair = generate_key_pair;
  real = list;
  return true;
}

CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR list) {
  if (list == nullptr) return CKR_ARGUMENTS_BAD;
  std::lock_guard lock(mu);
  if (!load()) return CKR_GENERAL_ERROR;
  *list = &ours;
  return CKR_OK;
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  return get_function_list(list);
}

// For the tests: how many CKU_USER logins were asked of the card, blocked ones included.
__attribute__((visibility("default"))) unsigned long pin_counter_logins(void) {
  std::lock_guard lock(mu);
  return user_logins;
}

}  // extern "C"
