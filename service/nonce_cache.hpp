// Remembers every (kid, nonce) seen until its signature would be stale anyway, so a captured
// request cannot be played again. The cache is the authority while running (it is checked
// and filled atomically); the store keeps a copy so a restart refills it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_set>

namespace recrypt::service {

class NonceCache {
 public:
  // False when the key was already seen and has not been forgotten yet. Entries whose
  // `expires` is before `now` are forgotten, oldest first.
  bool claim(const std::string& key, std::int64_t expires, std::int64_t now);

  std::size_t size() const;

 private:
  void forget_expired(std::int64_t now);

  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  // The keys in the order they were claimed, each with its expiry. Expiries are iat + skew,
  // so they arrive nearly in order: forgetting from the front while the front has expired
  // costs O(1) per claim, where a sweep of the whole set would cost the skew window's
  // traffic every few thousand claims. An entry behind a later-expiring one waits for it: it
  // is kept at most the window's width too long, and a stale request is refused anyway.
  // The pointers are to the set's own elements, which a rehash does not move.
  std::deque<std::pair<std::int64_t, const std::string*>> by_arrival_;
};

}  // namespace recrypt::service
