#include "service/read_cache.hpp"

namespace recrypt::service {

void ReadCache::sync(std::uint64_t generation) {
  if (generation != generation_) {
    signers_.clear();
    plans_.clear();
    generation_ = generation;
  }
}

std::optional<CachedSigner> ReadCache::signer(const std::string& kid, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  sync(generation);
  auto it = signers_.find(kid);
  if (it == signers_.end()) return std::nullopt;
  return it->second;
}

void ReadCache::put_signer(const std::string& kid, CachedSigner signer, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation < generation_) return;  // read under an older generation: keep nothing
  sync(generation);
  if (signers_.size() >= kMaxEntries) signers_.clear();
  signers_.insert_or_assign(kid, std::move(signer));
}

std::optional<tx::RecryptPlan> ReadCache::plan(const std::string& key, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  sync(generation);
  auto it = plans_.find(key);
  if (it == plans_.end()) return std::nullopt;
  return it->second;
}

void ReadCache::put_plan(const std::string& key, tx::RecryptPlan plan, std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation < generation_) return;
  sync(generation);
  if (plans_.size() >= kMaxEntries) plans_.clear();
  plans_.insert_or_assign(key, std::move(plan));
}

}  // namespace recrypt::service
