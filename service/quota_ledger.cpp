#include "service/quota_ledger.hpp"

#include <algorithm>

namespace recrypt::service {
namespace {

struct Limit {
  std::uint32_t count;
  std::int64_t window;
  const char* per;
};

// Seconds until fewer than `limit.count` of `times` (oldest first) lie in the window ending
// at `now`; 0 when there is room already.
std::int64_t wait_for(const std::deque<std::int64_t>& times, const Limit& limit, std::int64_t now) {
  if (limit.count == 0) return 0;
  auto first = std::upper_bound(times.begin(), times.end(), now - limit.window);
  auto in_window = static_cast<std::size_t>(times.end() - first);
  if (in_window < limit.count) return 0;
  // The recryption whose leaving the window makes room for one more.
  std::int64_t leaving = *(first + static_cast<std::ptrdiff_t>(in_window - limit.count));
  return std::max<std::int64_t>(1, leaving + limit.window - now);
}

std::string refusal(const Limit& limit, bool own, std::int64_t wait) {
  return "quota exceeded: " + std::to_string(limit.count) +
         (limit.count == 1 ? " recryption per " : " recryptions per ") + limit.per +
         (own ? " for this member" : " for each member of this group") + "; retry in " +
         std::to_string(wait) + " s";
}

}  // namespace

QuotaLedger::QuotaLedger(Clock clock) : clock_(std::move(clock)) {}

std::shared_ptr<QuotaLedger::Group> QuotaLedger::group(const std::string& id) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<Group>& g = groups_[id];
  if (!g) g = std::make_shared<Group>();
  return g;
}

QuotaLedger::Admission QuotaLedger::admit(const std::string& group_id, const std::string& member,
                                          const Quota& quota, bool own, const History& history) {
  std::shared_ptr<Group> g = group(group_id);
  // Only this group's requests wait here, also while its history is read.
  std::lock_guard lock(g->mutex);
  std::int64_t now = clock_();
  if (!g->seeded) {
    Answered seen = history(now - kDay);
    for (const auto& [who, at] : seen) g->times[who].push_back(at);
    for (auto& [who, times] : g->times) std::sort(times.begin(), times.end());
    g->seeded = true;
  }
  std::deque<std::int64_t>& times = g->times[member];
  while (!times.empty() && times.front() <= now - kDay) times.pop_front();
  Admission a = judge(times, quota, own, now);
  // The clock may have stepped back: keep the times in order.
  if (a.admitted) times.insert(std::upper_bound(times.begin(), times.end(), now), now);
  return a;
}

QuotaLedger::Admission QuotaLedger::judge(const std::deque<std::int64_t>& times, const Quota& quota,
                                          bool own, std::int64_t now) {
  const Limit hour{quota.per_hour, kHour, "hour"};
  const Limit day{quota.per_day, kDay, "day"};
  std::int64_t hour_wait = wait_for(times, hour, now);
  std::int64_t day_wait = wait_for(times, day, now);
  if (hour_wait > 0 || day_wait > 0) {
    // Both may be reached; the longer wait is the one that binds.
    bool by_day = day_wait >= hour_wait;
    std::int64_t wait = by_day ? day_wait : hour_wait;
    return {false, 0, wait, refusal(by_day ? day : hour, own, wait)};
  }
  return {true, now, 0, {}};
}

void QuotaLedger::release(const std::string& group_id, const std::string& member, std::int64_t at) {
  std::shared_ptr<Group> g = group(group_id);
  std::lock_guard lock(g->mutex);
  auto found = g->times.find(member);
  if (found == g->times.end()) return;
  std::deque<std::int64_t>& times = found->second;
  auto it = std::lower_bound(times.begin(), times.end(), at);
  if (it != times.end() && *it == at) times.erase(it);
}

void QuotaLedger::forget(const std::string& group_id) {
  std::lock_guard lock(mutex_);
  groups_.erase(group_id);
}

}  // namespace recrypt::service
