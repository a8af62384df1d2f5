// How many recryptions each member of a group was answered lately, for the group's quotas
// (docs/SERVICE.md §5b, "Quotas"): a sliding hour and a sliding day per (group, member), kept
// in memory and checked and counted in one step, since RecryptData runs on several I/O threads
// at once. A (group, member) is read from the store the first time its quota is checked, so a
// restart of recryptd does not give anyone a fresh quota. Members without a quota are never
// looked up here: a group with no quota costs RecryptData nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/service/group_policy.hpp"

namespace recrypt::service {

class QuotaLedger {
 public:
  static constexpr std::int64_t kHour = 3600;
  static constexpr std::int64_t kDay = 24 * kHour;

  // Seconds since the epoch.
  using Clock = std::function<std::int64_t()>;
  // The times of the member's answered recryptions since `since`, oldest first (the audit).
  using History = std::function<std::vector<std::int64_t>(std::int64_t since)>;

  explicit QuotaLedger(Clock clock);

  struct Admission {
    bool admitted = false;
    std::int64_t at = 0;           // admitted: the time it is counted under (for release)
    std::int64_t retry_after = 0;  // refused: seconds until one more would be admitted
    std::string reason;            // refused: the StatusDescription, naming rule and limit
  };
  // Counts one recryption of `member` if `quota` leaves room for it in both windows, or says
  // which limit is reached. `own` says the quota is the member's own rather than the group's
  // default (for the reason's wording). `history` runs at most once per (group, member) until
  // forget(); what it throws goes to the caller and leaves nothing counted.
  Admission admit(const std::string& group, const std::string& member, const Quota& quota, bool own,
                  const History& history);
  // A recryption admitted at `at` was not answered after all: it no longer counts.
  void release(const std::string& group, const std::string& member, std::int64_t at);
  // The member's quota was lifted: its recryptions are not counted from now on, so what is
  // kept would be stale by the time a quota is set again, which then reads the store afresh.
  void forget(const std::string& group, const std::string& member);

 private:
  struct Window {
    std::mutex mutex;
    bool seeded = false;
    std::deque<std::int64_t> times;  // answered recryptions of the last day, oldest first
  };
  std::shared_ptr<Window> window(const std::string& group, const std::string& member);

  Clock clock_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<Window>> windows_;
};

}  // namespace recrypt::service
