// The PKCS#11 backend's link to its token: the module, finding the token by URI on every
// operation (tokens come and go), the session, the login and its PIN, and what a failure
// invalidates. What tpm/connection.hpp is to the TPM backend; the key operations that run over
// the link are Pkcs11Backend's (pkcs11_backend_impl.hpp).
#pragma once

#include <p11-kit/pkcs11.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "pkcs11/mechanisms.hpp"
#include "pkcs11/module.hpp"
#include "pkcs11/pin_cache.hpp"
#include "pkcs11/pkcs11_backend.hpp"
#include "pkcs11/session.hpp"
#include "pkcs11/token_uri.hpp"

namespace recrypt::pkcs11 {

class TokenLink {
 public:
  // Loads the module (BackendError(not_present) when it cannot be loaded) and parses the token
  // selector; looks for the token only when an operation runs.
  TokenLink(const Pkcs11Config& config, backend::PinSource pins);
  // Logs out, unless a module restart already did, and closes the session.
  ~TokenLink();
  TokenLink(const TokenLink&) = delete;
  TokenLink& operator=(const TokenLink&) = delete;

  // Runs `op` with a session on the configured token, logged in when `login`; one operation at
  // a time per link. Resolves the token by URI first, and drops the cached session and, when
  // the token is gone, the PIN on the way out of a failure. A failure while the token has
  // vanished is reported as not_present.
  void run(bool login, const std::function<void(Session&)>& op);

  // The token itself is there (asks it, C_GetTokenInfo). Never throws.
  bool present() noexcept;
  // Logs out, closes the session and wipes the cached PIN, so that the next operation needing
  // a login asks the PinSource. Waits for an operation in progress.
  void lock() noexcept;

  // For `op` inside run():
  CK_FUNCTION_LIST* fn() const noexcept { return fn_; }
  // The token's info as last read (label, serial, flags).
  const CK_TOKEN_INFO& token() const noexcept { return token_; }
  // CKU_CONTEXT_SPECIFIC login for a key with CKA_ALWAYS_AUTHENTICATE, after its C_SignInit.
  void context_login();
  // Throws not_present when the token is gone: for an answer that may only mean that (a
  // SoftHSM2 token removed mid-operation lists nothing rather than failing).
  void confirm_token();
  // The mechanisms of the token last found (read each time it is found again, since another
  // card may answer to the same URI); nullopt before the token was ever found, or when its
  // module will not list them. Safe to call from any thread.
  std::optional<TokenMechanisms> mechanisms() const;
  // Changes whenever object handles found earlier may no longer be valid: a new session, a
  // login or logout, any failure. Whoever caches handles drops them when it changes.
  std::uint64_t handle_epoch() const noexcept { return handle_epoch_; }

 private:
  void resolve_token();  // fills slot_ and token_ or throws not_present
  bool find_token();     // one pass over C_GetSlotList(CK_TRUE)
  void found_token(CK_SLOT_ID slot, const CK_TOKEN_INFO& info);
  bool token_gone() noexcept;  // the configured token is no longer in slot_
  bool failed_for_removal(const backend::BackendError& e) noexcept;
  void open_session();
  void ensure_login();
  void login_user();
  SecureString obtain_pin(const char* why);
  void forget_handles() noexcept { ++handle_epoch_; }
  void forget_session() noexcept;  // close session, forget login and handles
  void after_failure(CK_RV rv) noexcept;
  void forget_after(const backend::BackendError& e) noexcept;
  void token_removed() noexcept;  // drop the session, the slot and the PIN

  backend::PinSource pins_;
  std::shared_ptr<Module> module_;
  CK_FUNCTION_LIST* fn_;
  TokenSelector selector_;
  PinCache pin_cache_;
  std::chrono::milliseconds rescan_interval_;
  std::string last_pin_error_;      // told to the PinSource on the next prompt
  bool removed_since_pin_ = false;  // PinRequest::after_removal on the next prompt

  std::mutex mu_;  // one operation at a time: sessions are not shared by threads
  Session session_;
  std::uint64_t generation_ = 0;  // of the module, when session_ was opened
  std::optional<CK_SLOT_ID> slot_;
  CK_TOKEN_INFO token_{};
  bool logged_in_ = false;
  std::uint64_t handle_epoch_ = 0;
  std::chrono::steady_clock::time_point last_rescan_{};

  mutable std::mutex mechanisms_mu_;  // capabilities() reads them outside run()
  std::optional<TokenMechanisms> mechanisms_;
};

}  // namespace recrypt::pkcs11
