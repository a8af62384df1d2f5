// A TCP proxy on loopback in front of a recryptd, for failover tests: it passes requests on
// and, when told to, drops the connection instead of passing an answer back, as a network
// break or a crash just after the service acted would. Runs its own thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace recrypt::test {

class DroppingProxy {
 public:
  explicit DroppingProxy(std::uint16_t upstream_port);
  ~DroppingProxy();
  DroppingProxy(const DroppingProxy&) = delete;
  DroppingProxy& operator=(const DroppingProxy&) = delete;

  std::string url() const;  // http://127.0.0.1:PORT
  // The next `n` answers are not passed on: both connections close when they start to arrive,
  // after the service has received and handled the request.
  void drop_answers(int n) { to_drop_ = n; }
  int dropped() const { return dropped_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> to_drop_{0};
  std::atomic<int> dropped_{0};
};

}  // namespace recrypt::test
