// recryptd's request handling without HTTP: a request body and its signature header in, a
// response body and status out. Checks the signature (key, time, audience, replay), runs the
// transaction, writes the audit record, and answers only after the store committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "service/key_vault.hpp"
#include "service/nonce_cache.hpp"
#include "service/quota_ledger.hpp"
#include "service/read_cache.hpp"
#include "service/store.hpp"

namespace recrypt::service {

struct ServiceConfig {
  std::string audience;
  std::int64_t skew_seconds = 300;
  std::size_t max_body = 1 << 20;
};

struct Reply {
  int status = 500;
  std::string body;
  // For the request log: never a secret.
  std::string type;
  std::string kid;
  std::string group;
  // Seconds, for the HTTP Retry-After header (a quota's refusal, 429); 0 for none.
  std::int64_t retry_after = 0;
};

class Service {
 public:
  Service(Store& store, KeyVault vault, ServiceConfig config);

  // `done` runs exactly once, on this thread or on the store's writer thread; it must not
  // block for long.
  void handle(std::string body, std::string signature, std::function<void(Reply)> done);

  // An answer that never reached a transaction (too large, bad HTTP).
  static Reply error_reply(int status, const std::string& description);

 private:
  struct Authenticated;
  Authenticated authenticate(std::string_view body, std::string_view signature,
                             const Point* self_key);
  // The signer of `kid`, cached or read; `generation` gets the generation it was read under.
  ReadCache::Signer known_signer(const std::string& kid, std::uint64_t& generation);
  // Reads the request's signer again, bypassing the cache, for a request decided on a stale
  // read (StaleRead): false when the store no longer has that key.
  bool refresh_signer(Authenticated& a);
  // refresh_signer(), or else `done` answered (401 for a key gone, the store's failure).
  bool refreshed(Authenticated& a, std::function<void(Reply)>& done, const std::string& type);
  ReadCache::Plan recrypt_plan(Authenticated& a, const RecryptDataRequest& req, bool fresh);
  // `attempt` > 0: decided again after a StaleRead, on fresh reads (docs/SERVICE.md §6).
  void recrypt_data(std::shared_ptr<const Json> body, Authenticated a,
                    std::function<void(Reply)> done, int attempt);
  // RecryptBatch (recrypt_batch.cpp): each key agreement decided by recrypt_data() as its own
  // RecryptData, under the batch's one signature; one answer with every outcome in order.
  void recrypt_batch(const RecryptBatchRequest& req, Authenticated a,
                     std::function<void(Reply)> done);
  // Counts the recryption against the member's quota, or refuses it (429) and sets
  // `retry_after`; the time it was counted under, 0 when the group has no quota.
  std::int64_t charge_quota(const tx::RecryptPlan& plan, std::int64_t& retry_after);
  // RecryptData under a reviewed key (docs/SERVICE.md §5b): the answer the member's review of
  // the key agreement allows (false: there is none yet), or a pending review asked for.
  bool answer_reviewed(Authenticated& a, const tx::RecryptPlan& plan, const Point& epk, int& status,
                       std::string& description, Json& result);
  void ask_review(Authenticated a, ReadCache::Plan plan, const Point& epk,
                  std::function<void(Reply)> done);
  void finish_signed(const std::string& type, Authenticated auth,
                     std::function<Json(StoreWriter&, Authenticated&)> work,
                     std::function<void(Reply)> done, Durability durability);
  // Runs the request as transaction T (a row of transaction_table.hpp); `kid` gets the signer's
  // kid once it is known, and `done` is moved from only when nothing is left to throw.
  template <class T>
  void serve(const Json& request, std::string_view body, std::string_view signature,
             std::string& kid, std::function<void(Reply)>& done);

  Store& store_;
  KeyVault vault_;
  ServiceConfig config_;
  NonceCache nonces_;
  ReadCache cache_;
  QuotaLedger quotas_;
};

}  // namespace recrypt::service
