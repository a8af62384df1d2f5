// Remembers every (kid, nonce) seen until its signature would be stale anyway, so a captured
// request cannot be played again. The cache is the authority while running (it is checked
// and filled atomically); the store keeps a copy so a restart refills it.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace recrypt::service {

class NonceCache {
 public:
  // False when the nonce was already seen.
  bool claim(const std::string& key, std::int64_t expires, std::int64_t now);

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> seen_;
  std::size_t inserts_since_prune_ = 0;
};

}  // namespace recrypt::service
