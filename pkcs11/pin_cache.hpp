// The PIN of one token, kept for a limited time after it last worked. It is the lease on the
// token's login too: when the PIN expires the backend logs out, so a PIN cache timeout bounds
// how long the token stays usable without asking the user again. The agent sets the timeout
// from its --cache-ttl, the one setting for every cache of PINs and unlocked keys.
#pragma once

#include <chrono>
#include <optional>

#include "base/bytes.hpp"

namespace recrypt::pkcs11 {

class PinCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PinCache(std::chrono::seconds timeout) : timeout_(timeout) {}
  ~PinCache() { evict(); }
  PinCache(const PinCache&) = delete;
  PinCache& operator=(const PinCache&) = delete;

  // The cached PIN if it has not expired; an expired one is wiped first.
  const SecureString* get();
  // Keeps `pin` (which just logged in successfully) until now + timeout. A zero timeout keeps
  // nothing.
  void put(const SecureString& pin);
  // Wipes the PIN and ends the lease: wrong PIN, token removed, timeout, or the agent locked.
  void evict() noexcept;
  // True while a login made with a cached or fresh PIN may still be used.
  bool lease_valid() const noexcept;
  // Starts the lease of a login whose PIN we do not keep (a PIN pad, or a token that was
  // already logged in): the login is used until the timeout, then a PIN is asked again.
  void start_lease();

 private:
  std::chrono::seconds timeout_;
  std::optional<SecureString> pin_;
  Clock::time_point expires_{};
};

}  // namespace recrypt::pkcs11
