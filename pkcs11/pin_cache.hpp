// The PIN of one token, kept for a limited time after it last worked. It is the lease on the
// token's login too: when the PIN expires the backend logs out, so a PIN cache timeout bounds
// how long the token stays usable without asking the user again.
#pragma once

#include <chrono>
#include <optional>

#include "protocol/bytes.hpp"

namespace recrypt::pkcs11 {

// Wipes a SecureString in place. Needed besides the wiping allocator because short strings
// live inside the string object (small-string optimisation) and never reach the allocator.
void wipe(SecureString& s) noexcept;

class PinCache {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PinCache(std::chrono::seconds timeout) : timeout_(timeout) {}

  // The cached PIN if it has not expired; an expired one is wiped first.
  const SecureString* get();
  // Keeps `pin` (which just logged in successfully) until now + timeout. A zero timeout keeps
  // nothing.
  void put(const SecureString& pin);
  // Wipes the PIN: wrong PIN, token removed, or timeout.
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
