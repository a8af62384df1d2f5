// The token link: finding the token by URI on every operation, the session, login and PIN
// handling, and what a failure invalidates.
#include "pkcs11/token_link.hpp"

#include <vector>

#include "pkcs11/ck_error.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

TokenLink::TokenLink(const Pkcs11Config& config, backend::PinSource pins)
    : pins_(std::move(pins)),
      module_(
          Module::load(config.module_path.empty() ? default_module_path() : config.module_path)),
      fn_(module_->fn()),
      selector_(config.token_uri),
      pin_cache_(config.pin_cache_timeout),
      rescan_interval_(config.rescan_interval),
      generation_(module_->generation()) {}

TokenLink::~TokenLink() { lock(); }

void TokenLink::lock() noexcept {
  std::lock_guard guard(mu_);
  // Leave the token locked behind us, unless a module restart already did. Logging out even
  // when we do not think we are logged in: login state belongs to the whole application, and
  // a login left behind would let the next C_Login succeed as "already logged in" with any PIN.
  if (session_ && module_->generation() == generation_) fn_->C_Logout(session_.handle());
  forget_session();
  pin_cache_.evict();
  last_pin_error_.clear();
}

void TokenLink::forget_session() noexcept {
  if (module_->generation() != generation_) {
    // C_Finalize already ended it; closing a stale handle could close someone else's.
    session_.abandon();
    generation_ = module_->generation();
  }
  session_.close();
  logged_in_ = false;
  forget_handles();
}

void TokenLink::token_removed() noexcept {
  forget_session();
  slot_.reset();
  pin_cache_.evict();
  removed_since_pin_ = true;
}

void TokenLink::after_failure(CK_RV rv) noexcept {
  forget_handles();  // cheap to find again; a stale handle could name another object
  if (rv_errc(rv) == BackendErrc::not_present) {
    token_removed();
  } else if (rv_invalidates_session(rv)) {
    forget_session();
    slot_.reset();
  }
}

void TokenLink::forget_after(const BackendError& e) noexcept {
  if (const auto* p11 = dynamic_cast<const Pkcs11Error*>(&e))
    after_failure(p11->rv());
  else if (e.code() == BackendErrc::not_present)
    token_removed();
}

void TokenLink::run(bool login, const std::function<void(Session&)>& op) {
  std::lock_guard lock(mu_);
  try {
    for (int attempt = 0;; ++attempt) {
      if (module_->generation() != generation_) forget_session();
      resolve_token();
      std::shared_lock use(module_->use_lock());
      if (module_->generation() != generation_) {
        // Another backend restarted the module between our check and the lock: once more.
        if (attempt == 0) continue;
        throw BackendError(BackendErrc::not_present,
                           "the PKCS#11 module keeps being reinitialised");
      }
      if (!session_) open_session();
      if (login) ensure_login();
      op(session_);
      return;
    }
  } catch (const BackendError& e) {
    if (failed_for_removal(e)) {
      token_removed();
      throw BackendError(BackendErrc::not_present,
                         "token '" + selector_.text() + "' was removed (" + e.what() + ")");
    }
    forget_after(e);
    throw;
  }
}

// Modules report a token pulled out mid-operation in many ways (SoftHSM2: a vanished object,
// a search that finds nothing, CKR_GENERAL_ERROR): whatever failed on a token we had found,
// ask the token whether it is still there. What the user needs to hear is that it is gone.
bool TokenLink::failed_for_removal(const BackendError& e) noexcept {
  return e.code() != BackendErrc::not_present && slot_ && token_gone();
}

bool TokenLink::token_gone() noexcept {
  if (!slot_) return true;
  CK_TOKEN_INFO info{};
  return fn_->C_GetTokenInfo(*slot_, &info) != CKR_OK || !selector_.matches(info);
}

// SoftHSM2 (file object store, checked with 2.6.1) keeps the slot, CKF_TOKEN_PRESENT and our
// session when a token's folder goes away, and a search then simply finds nothing. Only
// C_GetTokenInfo fails (CKR_GENERAL_ERROR), and it keeps failing after the folder is back:
// the module's token object marks itself invalid for good once it has seen its folder missing,
// so the token is usable again only after C_Finalize / C_Initialize. Failing here drops our
// slot; find_token() then skips the dead slot and resolve_token() restarts the module.
void TokenLink::confirm_token() {
  if (token_gone())
    throw Pkcs11Error(BackendErrc::not_present, "token '" + selector_.text() + "' was removed",
                      CKR_TOKEN_NOT_PRESENT);
}

bool TokenLink::find_token() {
  CK_ULONG n = 0;
  check_rv("C_GetSlotList", fn_->C_GetSlotList(CK_TRUE, nullptr, &n));
  std::vector<CK_SLOT_ID> slots(n);
  if (n > 0) check_rv("C_GetSlotList", fn_->C_GetSlotList(CK_TRUE, slots.data(), &n));
  slots.resize(n);
  std::optional<CK_SLOT_ID> found;
  CK_TOKEN_INFO found_info{};
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (fn_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;  // pulled out while we looked
    if (!(info.flags & CKF_TOKEN_INITIALIZED) || !selector_.matches(info)) continue;
    if (found)
      throw BackendError(BackendErrc::device, "several tokens match '" + selector_.text() +
                                                  "'; add serial= to the token URI");
    found = slot;
    found_info = info;
  }
  if (!found) return false;
  found_token(*found, found_info);
  return true;
}

void TokenLink::found_token(CK_SLOT_ID slot, const CK_TOKEN_INFO& info) {
  slot_ = slot;
  token_ = info;
  std::optional<TokenMechanisms> m = read_mechanisms(fn_, slot);
  std::lock_guard guard(mechanisms_mu_);
  mechanisms_ = m;
}

std::optional<TokenMechanisms> TokenLink::mechanisms() const {
  std::lock_guard guard(mechanisms_mu_);
  return mechanisms_;
}

void TokenLink::resolve_token() {
  if (slot_ && session_) {
    // The fast path of every operation: the slot still has a token and our session on it is
    // alive. Both calls cost well under a microsecond; C_GetTokenInfo can cost as much as a
    // tenth of an ECDH (SoftHSM2 reads its token files), so it runs only when this fails and
    // when an operation fails (token_gone()). A card swapped in between invalidates our session.
    CK_SLOT_INFO si{};
    CK_SESSION_INFO ss{};
    if (fn_->C_GetSlotInfo(*slot_, &si) == CKR_OK && (si.flags & CKF_TOKEN_PRESENT) &&
        fn_->C_GetSessionInfo(session_.handle(), &ss) == CKR_OK && ss.slotID == *slot_) {
      if (logged_in_ && ss.state != CKS_RW_USER_FUNCTIONS && ss.state != CKS_RO_USER_FUNCTIONS) {
        // Logged out behind our back (another user of the module finalised or logged out):
        // log in again, with the cached PIN while its lease lasts.
        logged_in_ = false;
        forget_handles();
      }
      return;
    }
    forget_session();
  }
  if (slot_) {
    CK_TOKEN_INFO info{};
    CK_RV rv = fn_->C_GetTokenInfo(*slot_, &info);
    if (rv == CKR_OK && selector_.matches(info)) {
      token_ = info;
      return;
    }
    forget_session();
    slot_.reset();
  }
  bool found = false;
  try {
    found = find_token();
  } catch (const Pkcs11Error& e) {
    if (e.rv() != CKR_CRYPTOKI_NOT_INITIALIZED) throw;
    // Someone else in the process finalised the module under us (p11-kit-proxy finalises the
    // modules it loaded, SoftHSM2 included): initialise it again.
    forget_session();
    module_->reinitialize();
    forget_session();
    found = find_token();
  }
  if (found) return;
  // Some modules (p11-kit-proxy) list slots only at C_Initialize: start it again to see a
  // token plugged in since, at most once per rescan_interval so that a missing token does
  // not turn every call into a module restart.
  auto now = std::chrono::steady_clock::now();
  if (now - last_rescan_ >= rescan_interval_) {
    last_rescan_ = now;
    forget_session();
    module_->reinitialize();
    forget_session();
    if (find_token()) return;
  }
  pin_cache_.evict();
  throw BackendError(BackendErrc::not_present,
                     "no token matching '" + selector_.text() + "' is present");
}

void TokenLink::open_session() {
  session_ = Session(fn_, *slot_);
  logged_in_ = false;
  CK_SESSION_INFO info{};
  // Login state belongs to the token for the whole application: another session of this
  // process may have logged in already.
  if (fn_->C_GetSessionInfo(session_.handle(), &info) == CKR_OK &&
      (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS))
    logged_in_ = pin_cache_.lease_valid();
}

void TokenLink::ensure_login() {
  if (!(token_.flags & CKF_LOGIN_REQUIRED)) return;
  if (logged_in_ && pin_cache_.lease_valid()) return;
  if (logged_in_) {
    // The lease ran out: log out so the token is not left unlocked past the PIN timeout.
    fn_->C_Logout(session_.handle());
    logged_in_ = false;
    pin_cache_.evict();
  }
  // Handles of private objects found under an earlier login are not valid across a logout.
  forget_handles();
  login_user();
}

SecureString TokenLink::obtain_pin(const char* why) {
  if (const SecureString* cached = pin_cache_.get()) return *cached;
  backend::PinRequest req;
  req.backend = "pkcs11";
  req.description = std::string(why) + " for token '" + token_label(token_) + "'";
  req.error = last_pin_error_;
  req.after_removal = removed_since_pin_;
  if (token_.flags & CKF_USER_PIN_FINAL_TRY) req.tries_left = 1;
  std::optional<SecureString> pin = pins_ ? pins_(req) : std::nullopt;
  if (!pin) throw BackendError(BackendErrc::cancelled, "PIN entry cancelled");
  SecureString out(*pin);
  pin->wipe();
  return out;
}

namespace {

// What the token's flags say about the tries left, for a message ("" when they say nothing).
std::string tries_note(CK_FLAGS flags) {
  if (flags & CKF_USER_PIN_LOCKED) return "; the PIN is now blocked";
  if (flags & CKF_USER_PIN_FINAL_TRY) return "; one try left before the PIN is blocked";
  if (flags & CKF_USER_PIN_COUNT_LOW) return "; few tries left before the PIN is blocked";
  return "";
}

}  // namespace

void TokenLink::login_user() {
  // Fresh flags: they say whether the PIN is blocked or on its last try.
  CK_TOKEN_INFO now{};
  if (fn_->C_GetTokenInfo(*slot_, &now) == CKR_OK) token_ = now;
  const std::string label = token_label(token_);
  if (token_.flags & CKF_USER_PIN_LOCKED) {
    pin_cache_.evict();
    throw BackendError(BackendErrc::locked, "the user PIN of token '" + label + "' is blocked");
  }
  CK_RV rv;
  SecureString pin;
  if (token_.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
    rv = fn_->C_Login(session_.handle(), CKU_USER, nullptr, 0);  // the reader's own PIN pad
  } else {
    pin = obtain_pin("PIN");
    rv = fn_->C_Login(session_.handle(), CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()),
                      static_cast<CK_ULONG>(pin.size()));
  }
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    // Cache only a PIN the token has just checked: CKR_USER_ALREADY_LOGGED_IN (another session
    // of the process logged in) says nothing about this one, and a PIN pad gives us none.
    if (rv == CKR_OK && !(token_.flags & CKF_PROTECTED_AUTHENTICATION_PATH))
      pin_cache_.put(pin);
    else
      pin_cache_.start_lease();
    pin.wipe();
    logged_in_ = true;
    last_pin_error_.clear();
    removed_since_pin_ = false;
    return;
  }
  pin.wipe();
  // Never try the same PIN again: on a real card every wrong try counts towards the lock.
  pin_cache_.evict();
  CK_TOKEN_INFO after{};
  CK_FLAGS flags = fn_->C_GetTokenInfo(*slot_, &after) == CKR_OK ? after.flags : token_.flags;
  if (rv == CKR_PIN_INCORRECT) {
    last_pin_error_ = "wrong PIN" + tries_note(flags);
    if (flags & CKF_USER_PIN_LOCKED)
      throw BackendError(BackendErrc::locked,
                         "wrong PIN for token '" + label + "'" + tries_note(flags));
    throw BackendError(BackendErrc::auth_failed,
                       "wrong PIN for token '" + label + "'" + tries_note(flags));
  }
  if (rv == CKR_PIN_LEN_RANGE || rv == CKR_ARGUMENTS_BAD) {
    // The token would not even check the PIN. ykcs11 says CKR_ARGUMENTS_BAD for a PIN that is
    // not 6 to 8 characters long (and reports 64 as its maximum, for the management key), so
    // the message names the length rather than only the code. Not a wrong try: no tries spent.
    last_pin_error_ = "the token does not take a PIN of that length";
    std::string wants = "; a PIV card or YubiKey takes 6 to 8 characters";
    if (rv == CKR_PIN_LEN_RANGE && token_.ulMaxPinLen != 0)
      wants = "; it takes " + std::to_string(token_.ulMinPinLen) + " to " +
              std::to_string(token_.ulMaxPinLen) + " characters";
    throw Pkcs11Error(BackendErrc::auth_failed,
                      "token '" + label +
                          "' refused the PIN for its length, without checking it (" + rv_name(rv) +
                          ")" + wants,
                      rv);
  }
  if (rv == CKR_PIN_LOCKED) last_pin_error_ = "PIN blocked";
  throw_rv("C_Login to token '" + label + "'", rv);
}

void TokenLink::context_login() {
  CK_RV rv;
  if (token_.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
    rv = fn_->C_Login(session_.handle(), CKU_CONTEXT_SPECIFIC, nullptr, 0);
  } else {
    SecureString pin = obtain_pin("PIN to use a key");
    rv =
        fn_->C_Login(session_.handle(), CKU_CONTEXT_SPECIFIC,
                     reinterpret_cast<CK_UTF8CHAR*>(pin.data()), static_cast<CK_ULONG>(pin.size()));
    pin.wipe();
  }
  if (rv != CKR_OK) pin_cache_.evict();
  check_rv("C_Login(context-specific)", rv);
}

bool TokenLink::present() noexcept {
  try {
    // The token itself, not only the slot and our session, which are all the per-operation
    // check looks at (confirm_token() says why that is not enough).
    run(false, [this](Session&) { confirm_token(); });
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace recrypt::pkcs11
