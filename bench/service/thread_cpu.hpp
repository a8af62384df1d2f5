// The CPU time (user + system) that some of this process's threads have used, read through
// each thread's own CPU-time clock. service_load runs its ceiling servers in its own process,
// beside the load generator: counting their threads alone measures a ceiling's CPU as
// directly as /proc measures recryptd's, with no share of the load generator to subtract.
#pragma once

#include <pthread.h>
#include <time.h>

#include <stdexcept>
#include <thread>
#include <vector>

namespace recrypt::bench {

class ThreadCpuClocks {
 public:
  // `thread` must outlive every later call of seconds().
  void add(std::thread& thread) {
    clockid_t clock{};
    if (::pthread_getcpuclockid(thread.native_handle(), &clock) != 0)
      throw std::runtime_error("pthread_getcpuclockid failed");
    clocks_.push_back(clock);
  }

  void add(const ThreadCpuClocks& other) {
    clocks_.insert(clocks_.end(), other.clocks_.begin(), other.clocks_.end());
  }

  double seconds() const {
    double total = 0;
    for (clockid_t clock : clocks_) {
      timespec t{};
      if (::clock_gettime(clock, &t) != 0) throw std::runtime_error("clock_gettime failed");
      total += static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
    }
    return total;
  }

 private:
  std::vector<clockid_t> clocks_;
};

}  // namespace recrypt::bench
