// What RecryptData reads from the store, kept between requests: the signer of a kid (with
// its parsed key) and the checked plan for (kid, group, key_id). Every entry is tagged with
// the store generation it was read under, taken before the read; any acknowledged change
// moves the generation on and so retires every entry, so a suspension, a revocation or a
// removed device takes effect for the very next request, as without the cache.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "service/store.hpp"
#include "service/transactions.hpp"

namespace recrypt::service {

struct CachedSigner {
  SignerRecord record;
  Point key;
};

class ReadCache {
 public:
  std::optional<CachedSigner> signer(const std::string& kid, std::uint64_t generation);
  void put_signer(const std::string& kid, CachedSigner signer, std::uint64_t generation);
  std::optional<tx::RecryptPlan> plan(const std::string& key, std::uint64_t generation);
  void put_plan(const std::string& key, tx::RecryptPlan plan, std::uint64_t generation);

 private:
  void sync(std::uint64_t generation);  // with mutex_ held
  static constexpr std::size_t kMaxEntries = 100000;
  std::mutex mutex_;
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, CachedSigner> signers_;
  std::unordered_map<std::string, tx::RecryptPlan> plans_;
};

}  // namespace recrypt::service
