#include "service/nonce_cache.hpp"

namespace recrypt::service {

bool NonceCache::claim(const std::string& key, std::int64_t expires, std::int64_t now) {
  std::lock_guard lock(mutex_);
  forget_expired(now);
  auto [it, inserted] = seen_.insert(key);
  if (inserted) by_arrival_.emplace_back(expires, &*it);
  return inserted;
}

std::size_t NonceCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

void NonceCache::forget_expired(std::int64_t now) {
  while (!by_arrival_.empty() && by_arrival_.front().first < now) {
    seen_.erase(seen_.find(*by_arrival_.front().second));
    by_arrival_.pop_front();
  }
}

}  // namespace recrypt::service
