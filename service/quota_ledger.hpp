// How many recryptions each member of a group was answered lately, for the group's quotas
// (docs/SERVICE.md §5b, "Quotas"): a sliding hour and a sliding day per (group, member), kept
// in memory and checked and counted in one step, since RecryptData runs on several I/O threads
// at once. A group is read from the store (its audit) the first time a quota of it is checked,
// so a restart of recryptd gives no one a fresh quota; from then on every answer to a member of
// the group is counted here, with a quota or without. A group without any quota is never
// looked up: it costs RecryptData nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protocol/service/group_policy.hpp"

namespace recrypt::service {

class QuotaLedger {
 public:
  static constexpr std::int64_t kHour = 3600;
  static constexpr std::int64_t kDay = 24 * kHour;

  // Seconds since the epoch.
  using Clock = std::function<std::int64_t()>;
  // Who of the group was answered when, from `since` on (the audit), in any order.
  using Answered = std::vector<std::pair<std::string, std::int64_t>>;
  using History = std::function<Answered(std::int64_t since)>;

  explicit QuotaLedger(Clock clock);

  struct Admission {
    bool admitted = false;
    std::int64_t at = 0;           // admitted: the time it is counted under (for release)
    std::int64_t retry_after = 0;  // refused: seconds until one more would be admitted
    std::string reason;            // refused: the StatusDescription, naming rule and limit
  };
  // Counts one recryption of `member` if `quota` leaves room for it in both windows (an
  // unlimited quota always does), or says which limit is reached. `own` says the quota is the
  // member's own rather than the group's default (for the reason's wording). `history` runs at
  // most once per group until forget(); what it throws goes to the caller, nothing counted.
  Admission admit(const std::string& group, const std::string& member, const Quota& quota, bool own,
                  const History& history);
  // The rule alone: whether one more recryption at `now` fits `quota`, given the member's
  // answered recryptions `times` (oldest first; those older than a day are ignored). Admitted:
  // `at` is `now`. A store shared by several recryptd judges with it in the transaction that
  // counts, so that the instances cannot pass a quota together.
  static Admission judge(const std::deque<std::int64_t>& times, const Quota& quota, bool own,
                         std::int64_t now);
  // A recryption admitted at `at` was not answered after all: it no longer counts.
  void release(const std::string& group, const std::string& member, std::int64_t at);
  // The group has no quota any more: its answers are not counted from now on, so what is kept
  // would be stale by the time a quota is set again, which then reads the store afresh.
  void forget(const std::string& group);

 private:
  struct Group {
    std::mutex mutex;
    bool seeded = false;
    // Each member's answered recryptions of the last day, oldest first.
    std::unordered_map<std::string, std::deque<std::int64_t>> times;
  };
  std::shared_ptr<Group> group(const std::string& id);

  Clock clock_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Group>> groups_;
};

}  // namespace recrypt::service
