// What RecryptData reads from the store, kept between requests: the signer of a kid (with
// its key prepared for verification) and the checked plan for (kid, group, key_id). Every
// entry is tagged with the store generation it was read under, taken before the read; any
// acknowledged change moves the generation on and so retires every entry, so a suspension,
// a revocation or a removed device takes effect for the very next request, as without the
// cache. Entries are shared and immutable: a hit copies a pointer, not the records.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "protocol/jws.hpp"
#include "service/store.hpp"
#include "service/transactions.hpp"

namespace recrypt::service {

struct CachedSigner {
  SignerRecord record;
  jws::VerifyKey key;
};

class ReadCache {
 public:
  using Signer = std::shared_ptr<const CachedSigner>;
  using Plan = std::shared_ptr<const tx::RecryptPlan>;

  // nullptr when not cached under `generation`.
  Signer signer(const std::string& kid, std::uint64_t generation);
  void put_signer(const std::string& kid, Signer signer, std::uint64_t generation);
  Plan plan(const std::string& key, std::uint64_t generation);
  void put_plan(const std::string& key, Plan plan, std::uint64_t generation);

 private:
  template <class Map>
  typename Map::mapped_type find(Map& map, const std::string& key, std::uint64_t generation);
  template <class Map>
  void put(Map& map, const std::string& key, typename Map::mapped_type value,
           std::uint64_t generation);
  void sync(std::uint64_t generation);  // with mutex_ held
  static constexpr std::size_t kMaxEntries = 100000;
  std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, Signer> signers_;
  std::unordered_map<std::string, Plan> plans_;
};

}  // namespace recrypt::service
