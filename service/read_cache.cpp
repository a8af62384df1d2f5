#include "service/read_cache.hpp"

namespace recrypt::service {

void ReadCache::sync(std::uint64_t generation) {
  if (generation != generation_) {
    signers_.clear();
    plans_.clear();
    generation_ = generation;
  }
}

template <class Map>
typename Map::mapped_type ReadCache::find(Map& map, const std::string& key,
                                          std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  sync(generation);
  auto it = map.find(key);
  return it == map.end() ? nullptr : it->second;
}

template <class Map>
void ReadCache::put(Map& map, const std::string& key, typename Map::mapped_type value,
                    std::uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation < generation_) return;  // read under an older generation: keep nothing
  sync(generation);
  if (map.size() >= kMaxEntries) map.clear();
  map.insert_or_assign(key, std::move(value));
}

ReadCache::Signer ReadCache::signer(const std::string& kid, std::uint64_t generation) {
  return find(signers_, kid, generation);
}

void ReadCache::put_signer(const std::string& kid, Signer signer, std::uint64_t generation) {
  put(signers_, kid, std::move(signer), generation);
}

ReadCache::Plan ReadCache::plan(const std::string& key, std::uint64_t generation) {
  return find(plans_, key, generation);
}

void ReadCache::put_plan(const std::string& key, Plan plan, std::uint64_t generation) {
  put(plans_, key, std::move(plan), generation);
}

}  // namespace recrypt::service
