// TEST FIXTURE ONLY, never installed: a PKCS#11 module that makes a SoftHSM2 token look like a
// PIV card (a YubiKey) seen through Yubico's ykcs11 or OpenSC's PIV driver, so the tests can
// drive the backend against a card's rules without a card. Each rule names the module it
// comes from; "both" means the two agree.
//
// It loads the real module (RECRYPT_PIV_TARGET, default SoftHSM2's), copies its function list
// and replaces entries. RECRYPT_PIV_FLAVOUR = ykcs11 (default) | opensc picks the rules where
// the two differ; RECRYPT_PIV_NO_ECDH=1 makes a card without ECDH.
//
// Slots and objects (objects.cpp, profile.cpp):
// - Only key objects whose CKA_ID is one byte naming a PIV slot are visible: ykcs11 numbers
//   9a,9c,9d,9e,82..95 as 1..24, OpenSC as 01..04,05..09,10..19,20..24. Everything else on the
//   token (other ids, secret keys, certificates, data) is not there. Keys are put in slots on
//   the underlying token directly, as yubico-piv-tool would on a card (piv_card.sh).
// - Labels are the module's fixed ones ("Private key for Key Management" / "KEY MAN key" ...),
//   in C_GetAttributeValue and in C_FindObjectsInit templates.
// - Private keys read SENSITIVE, not EXTRACTABLE, not MODIFIABLE (both). CKA_DERIVE reads false
//   on every key yet C_DeriveKey works (ykcs11); 9d and the retired slots derive only, the rest
//   sign (OpenSC, no certificate). 9c is CKA_ALWAYS_AUTHENTICATE (both).
// - C_SetAttributeValue, C_CopyObject, and C_DestroyObject on a slot key:
//   CKR_FUNCTION_NOT_SUPPORTED (both). C_CreateObject of a secret or private key:
//   CKR_ATTRIBUTE_VALUE_INVALID (ykcs11); of any token object: CKR_FUNCTION_NOT_SUPPORTED
//   (OpenSC, which keeps session objects).
//
// Mechanisms and operations (crypto.cpp):
// - Listed: ECDSA (+SHA*), ECDH1_DERIVE (+COFACTOR in OpenSC), SHA digests, EC_KEY_PAIR_GEN
//   (ykcs11 only). Nothing else, no AES: any other mechanism is CKR_MECHANISM_INVALID.
// - C_GenerateKeyPair: CKR_FUNCTION_NOT_SUPPORTED (OpenSC); CKR_USER_TYPE_INVALID without an
//   SO login (ykcs11; generation as SO is not modelled).
// - C_GenerateKey, C_WrapKey, C_UnwrapKey: CKR_FUNCTION_NOT_SUPPORTED (ykcs11);
//   CKR_MECHANISM_INVALID, or CKR_KEY_TYPE_INCONSISTENT for unwrapping with a slot key (OpenSC).
// - ECDH: the peer is the raw 65-byte 04||X||Y, and the result a session secret whose readable
//   CKA_VALUE is the 32-byte x. ykcs11: CKD_NULL, no shared data, else
//   CKR_MECHANISM_PARAM_INVALID; the template may only ask for a generic secret, a session
//   object, extractable (else CKR_ATTRIBUTE_VALUE_INVALID); not logged in: CKR_FUNCTION_FAILED.
//   OpenSC: the key must read CKA_DERIVE (else CKR_KEY_TYPE_INCONSISTENT); CKA_KEY_TYPE
//   generic, AES or DES; another point encoding is refused by the card (CKR_DATA_INVALID).
// - Sign needs a login (CKR_USER_NOT_LOGGED_IN), and on 9c a C_Login(CKU_CONTEXT_SPECIFIC)
//   after each C_SignInit (both).
//
// PIN and token (this file):
// - Three tries, then CKR_PIN_LOCKED even for the right PIN; context-specific logins count too.
//   Length 6..8 else CKR_ARGUMENTS_BAD (ykcs11), 4..8 else CKR_PIN_LEN_RANGE (OpenSC).
//   Flags: COUNT_LOW (ykcs11 only), FINAL_TRY, LOCKED.
// - Token info: ykcs11 "YubiKey PIV #<serial>", Yubico, "YubiKey YK5", a decimal serial from the
//   underlying one; OpenSC "PIV_II", "PIV-II", the underlying serial. Flags LOGIN_REQUIRED, RNG,
//   TOKEN_INITIALIZED, USER_PIN_INITIALIZED, never a protected authentication path.
//
// The counter and the PIN a context-specific login is checked against live in this process
// only (a card keeps them); the tests make a fresh token for each case.
#include "module.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace piv {

CK_FUNCTION_LIST* real = nullptr;
std::recursive_mutex mu;
std::map<CK_SESSION_HANDLE, SessionState> sessions;
std::map<CK_OBJECT_HANDLE, CK_SESSION_HANDLE> session_objects;

namespace {

CK_FUNCTION_LIST ours{};                       // SoftHSM2's list with our entries
std::map<CK_SLOT_ID, unsigned long> failures;  // consecutive wrong PINs, per slot
std::map<CK_SLOT_ID, std::string> user_pins;   // the PIN of the last good user login

std::optional<CK_SLOT_ID> slot_of(CK_SESSION_HANDLE session) {
  CK_SESSION_INFO info{};
  if (real->C_GetSessionInfo(session, &info) != CKR_OK) return std::nullopt;
  return info.slotID;
}

CK_RV login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin, CK_ULONG len) {
  std::lock_guard lock(mu);
  Profile p = Profile::get();
  if (user == CKU_SO) return real->C_Login(session, user, pin, len);
  if (user != CKU_USER && user != CKU_CONTEXT_SPECIFIC) return CKR_USER_TYPE_INVALID;
  auto slot = slot_of(session);
  if (!slot) return CKR_SESSION_HANDLE_INVALID;
  SessionState& st = sessions[session];
  // ykcs11 takes a context-specific login only while a signature waits for it.
  if (user == CKU_CONTEXT_SPECIFIC && !st.signing)
    return p.ykcs11() ? CKR_USER_TYPE_INVALID : CKR_OPERATION_NOT_INITIALIZED;
  PinRules rules = pin_rules(p);
  if (pin == nullptr || len < rules.min_len || len > rules.max_len) return rules.wrong_length;
  unsigned long& failed = failures[*slot];
  if (failed >= kPinTries) return CKR_PIN_LOCKED;  // blocked: the PIN is not even checked
  std::string given(reinterpret_cast<const char*>(pin), len);
  CK_RV rv;
  if (user == CKU_CONTEXT_SPECIFIC) {
    if (!logged_in(session)) return CKR_USER_NOT_LOGGED_IN;
    rv = given == user_pins[*slot] ? CKR_OK : CKR_PIN_INCORRECT;
    if (rv == CKR_OK) st.context_login_done = true;
  } else {
    rv = real->C_Login(session, user, pin, len);
    if (rv == CKR_OK) user_pins[*slot] = given;
  }
  if (rv == CKR_PIN_INCORRECT)
    ++failed;
  else if (rv == CKR_OK)
    failed = 0;
  return rv;
}

CK_RV get_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  std::lock_guard lock(mu);
  CK_RV rv = real->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;
  Profile p = Profile::get();
  describe_token(p, *info);
  unsigned long failed = failures.count(slot) > 0 ? failures[slot] : 0;
  unsigned long left = failed < kPinTries ? kPinTries - failed : 0;
  if (left == 0)
    info->flags |= CKF_USER_PIN_LOCKED;
  else if (left == 1)
    info->flags |= CKF_USER_PIN_FINAL_TRY;
  else if (failed > 0 && pin_rules(p).reports_count_low)
    info->flags |= CKF_USER_PIN_COUNT_LOW;
  return CKR_OK;
}

// A reader shows a card or nothing: SoftHSM2's spare uninitialised token is not a card.
CK_RV get_slot_list(CK_BBOOL token_present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  std::lock_guard lock(mu);
  if (count == nullptr) return CKR_ARGUMENTS_BAD;
  CK_ULONG n = 0;
  CK_RV rv = real->C_GetSlotList(token_present, nullptr, &n);
  if (rv != CKR_OK) return rv;
  std::vector<CK_SLOT_ID> all(n);
  rv = real->C_GetSlotList(token_present, all.data(), &n);
  if (rv != CKR_OK) return rv;
  std::vector<CK_SLOT_ID> cards;
  for (CK_ULONG i = 0; i < n; ++i) {
    CK_TOKEN_INFO info{};
    if (real->C_GetTokenInfo(all[i], &info) == CKR_OK && (info.flags & CKF_TOKEN_INITIALIZED) != 0)
      cards.push_back(all[i]);
  }
  if (list != nullptr && *count < cards.size()) rv = CKR_BUFFER_TOO_SMALL;
  if (list != nullptr && rv == CKR_OK) std::copy(cards.begin(), cards.end(), list);
  *count = cards.size();
  return rv;
}

CK_RV close_session(CK_SESSION_HANDLE session) {
  std::lock_guard lock(mu);
  CK_RV rv = real->C_CloseSession(session);
  if (rv == CKR_OK) forget_session(session);
  return rv;
}

CK_RV close_all_sessions(CK_SLOT_ID slot) {
  std::lock_guard lock(mu);
  std::set<CK_SESSION_HANDLE> known;
  for (const auto& [session, state] : sessions) known.insert(session);
  for (const auto& [object, session] : session_objects) known.insert(session);
  std::vector<CK_SESSION_HANDLE> in_slot;
  for (CK_SESSION_HANDLE s : known)
    if (slot_of(s) == slot) in_slot.push_back(s);
  CK_RV rv = real->C_CloseAllSessions(slot);
  if (rv == CKR_OK)
    for (CK_SESSION_HANDLE s : in_slot) forget_session(s);
  return rv;
}

CK_RV finalize(CK_VOID_PTR reserved) {
  std::lock_guard lock(mu);
  sessions.clear();
  session_objects.clear();
  return real->C_Finalize(reserved);
}

CK_RV get_function_list(CK_FUNCTION_LIST_PTR_PTR list);

bool load() {
  if (real != nullptr) return true;
  const char* path = std::getenv("RECRYPT_PIV_TARGET");
  if (path == nullptr || *path == '\0') path = "/usr/lib/softhsm/libsofthsm2.so";
  void* handle = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);  // never closed, like the backend's
  if (handle == nullptr) return false;
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* list = nullptr;
  if (get == nullptr || get(&list) != CKR_OK || list == nullptr) return false;
  ours = *list;
  ours.C_GetFunctionList = get_function_list;
  ours.C_Finalize = finalize;
  ours.C_GetSlotList = get_slot_list;
  ours.C_GetTokenInfo = get_token_info;
  ours.C_Login = login;
  ours.C_CloseSession = close_session;
  ours.C_CloseAllSessions = close_all_sessions;
  install_object_functions(ours);
  install_crypto_functions(ours);
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

bool logged_in(CK_SESSION_HANDLE session, bool so) {
  CK_SESSION_INFO info{};
  if (real->C_GetSessionInfo(session, &info) != CKR_OK) return false;
  if (so) return info.state == CKS_RW_SO_FUNCTIONS;
  return info.state == CKS_RO_USER_FUNCTIONS || info.state == CKS_RW_USER_FUNCTIONS;
}

void forget_session(CK_SESSION_HANDLE session) {
  sessions.erase(session);
  for (auto it = session_objects.begin(); it != session_objects.end();)
    it = it->second == session ? session_objects.erase(it) : std::next(it);
}

}  // namespace piv

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(
    CK_FUNCTION_LIST_PTR_PTR list) {
  return piv::get_function_list(list);
}
