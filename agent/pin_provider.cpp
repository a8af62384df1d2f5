#include "agent/pin_provider.hpp"

#include <array>

#include "agent/log.hpp"
#include "agent/pinentry.hpp"
#include "base/secret_file.hpp"

namespace recrypt::agent {

PinProvider::PinProvider(PinPolicy policy) : policy_(std::move(policy)) {
  if (policy_.passphrase_fd >= 0) {
    try {
      from_fd_ = read_secret_fd(policy_.passphrase_fd, "--passphrase-fd");
    } catch (...) {
      ::close(policy_.passphrase_fd);
      throw;
    }
    ::close(policy_.passphrase_fd);
  }
}

backend::PinSource PinProvider::source() {
  return [this](const backend::PinRequest& request) { return ask(request); };
}

void PinProvider::forget_all() {
  std::lock_guard guard(mutex_);
  cache_.clear();
}

std::optional<SecureString> PinProvider::non_interactive() {
  if (from_fd_) return *from_fd_;
  if (policy_.passphrase_file) return read_secret_file(*policy_.passphrase_file);
  return std::nullopt;
}

std::optional<SecureString> PinProvider::ask(const backend::PinRequest& request) {
  std::string key = request.backend + "\n" + request.description;
  bool interactive = !from_fd_ && !policy_.passphrase_file;
  {
    std::lock_guard guard(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto it = cache_.find(key);
    // A PIN cached for a token that was pulled out since is not reused for the token that
    // came back: the backend forgot its own copy and asks to be asked again.
    if (it != cache_.end() && request.error.empty() && !request.after_removal &&
        now < it->second.expires)
      return it->second.pin;
    if (it != cache_.end()) cache_.erase(it);  // expired, refused, or its token was removed
  }
  if (!interactive && !request.error.empty()) {
    // A script's passphrase does not change between tries: say it is wrong rather than ask
    // again and burn the device's retry counter.
    throw backend::BackendError(
        backend::BackendErrc::auth_failed,
        request.error + " (the passphrase given to the agent non-interactively)");
  }
  std::optional<SecureString> pin;
  if (interactive) {
    PinentryPrompt prompt{"recrypt", request.description,
                          request.backend == "pkcs11" ? "PIN:" : "Passphrase:", request.error};
    if (request.tries_left)
      prompt.error +=
          (prompt.error.empty() ? "" : " — ") + std::to_string(*request.tries_left) + " tries left";
    try {
      pin = ask_pinentry(policy_.pinentry_program, prompt);
    } catch (const std::exception& e) {
      log_event("warning", std::string("pinentry failed: ") + e.what());
      throw backend::BackendError(
          backend::BackendErrc::cancelled,
          std::string("cannot ask for a PIN: ") + e.what() +
              " (start the agent with --passphrase-file or --passphrase-fd for scripts)");
    }
  } else {
    pin = non_interactive();
  }
  if (pin && policy_.cache_ttl.count() > 0) {
    std::lock_guard guard(mutex_);
    cache_[key] = Cached{*pin, std::chrono::steady_clock::now() + policy_.cache_ttl};
  }
  return pin;
}

}  // namespace recrypt::agent
