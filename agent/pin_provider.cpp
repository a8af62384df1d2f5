#include "agent/pin_provider.hpp"

#include <array>

#include "agent/log.hpp"
#include "agent/pinentry.hpp"
#include "base/atomic_file.hpp"
#include "base/io.hpp"
#include "base/unique_fd.hpp"
#include "protocol/error.hpp"

namespace recrypt::agent {
namespace {

SecureString first_line(ByteView data) {
  SecureString line(reinterpret_cast<const char*>(data.data()), data.size());
  auto nl = line.find('\n');
  if (nl != SecureString::npos) line.resize(nl);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

PinProvider::PinProvider(PinPolicy policy) : policy_(std::move(policy)) {
  if (policy_.passphrase_fd >= 0) {
    const UniqueFd fd(policy_.passphrase_fd);
    SecureBytes data;
    std::array<std::uint8_t, 256> buf{};
    for (;;) {
      std::size_t n = 0;
      try {
        n = read_some(fd.get(), buf);
      } catch (const Error&) {
        break;  // as at its end: what came so far is the passphrase
      }
      if (n == 0 || data.size() > 4096) break;
      data.insert(data.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    }
    secure_wipe(buf.data(), buf.size());
    from_fd_ = first_line(data);
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
  if (policy_.passphrase_file) {
    Bytes data = read_file(*policy_.passphrase_file, 4096);
    SecureString pin = first_line(data);
    secure_wipe(data.data(), data.size());
    return pin;
  }
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
    if (it != cache_.end() && request.error.empty() && !request.after_removal && now < it->second.expires)
      return it->second.pin;
    if (it != cache_.end()) cache_.erase(it);  // expired, refused, or its token was removed
  }
  if (!interactive && !request.error.empty()) {
    // A script's passphrase does not change between tries: say it is wrong rather than ask
    // again and burn the device's retry counter.
    throw backend::BackendError(backend::BackendErrc::auth_failed,
                                request.error + " (the passphrase given to the agent non-interactively)");
  }
  std::optional<SecureString> pin;
  if (interactive) {
    PinentryPrompt prompt{"recrypt", request.description,
                          request.backend == "pkcs11" ? "PIN:" : "Passphrase:", request.error};
    if (request.tries_left) prompt.error += (prompt.error.empty() ? "" : " — ") + std::to_string(*request.tries_left) + " tries left";
    try {
      pin = ask_pinentry(policy_.pinentry_program, prompt);
    } catch (const std::exception& e) {
      log_event("warning", std::string("pinentry failed: ") + e.what());
      throw backend::BackendError(backend::BackendErrc::cancelled,
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
