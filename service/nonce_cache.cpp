#include "service/nonce_cache.hpp"

namespace recrypt::service {

bool NonceCache::claim(const std::string& key, std::int64_t expires, std::int64_t now) {
  std::lock_guard lock(mutex_);
  // Pruning now and then keeps memory bounded by the traffic of one skew window.
  if (++inserts_since_prune_ >= 4096) {
    std::erase_if(seen_, [now](const auto& kv) { return kv.second < now; });
    inserts_since_prune_ = 0;
  }
  return seen_.emplace(key, expires).second;
}

}  // namespace recrypt::service
