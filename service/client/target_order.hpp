// The order in which a client tries the instances of a service: as the address lists them
// (and DNS SRV orders them), except that one that failed lately goes to the back for a while,
// so that every request after a crash does not first wait for a dead instance's timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace recrypt::service {

class TargetOrder {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kPenalty{30};

  explicit TargetOrder(Clock::duration penalty = kPenalty) : penalty_(penalty) {}

  // `target` ("host:port") did not connect, or did not answer a request it was sent.
  void failed(const std::string& target);
  // The indexes of `targets` in the order to try them: those that have not failed within the
  // penalty first, then the others, each group in the given order. Thread-safe.
  std::vector<std::size_t> order(const std::vector<std::string>& targets) const;

 private:
  Clock::duration penalty_;
  mutable std::mutex mutex_;
  std::map<std::string, Clock::time_point> failed_at_;
};

}  // namespace recrypt::service
