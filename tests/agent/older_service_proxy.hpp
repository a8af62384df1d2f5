// An HTTP proxy on loopback that plays a recryptd older than one transaction, behind the same
// address as a newer one, as during a rolling upgrade: it passes every request on to the real
// recryptd and its answer back, except requests of that transaction, which it answers itself
// as an older service does (400 "unknown transaction NAME"). Hello goes through, so the
// features it lists are the newer recryptd's. Serves each connection on a thread of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace recrypt::test {

class OlderServiceProxy {
 public:
  explicit OlderServiceProxy(std::string unknown_transaction);
  ~OlderServiceProxy();
  OlderServiceProxy(const OlderServiceProxy&) = delete;
  OlderServiceProxy& operator=(const OlderServiceProxy&) = delete;

  // The recryptd behind it; set before the first request reaches the proxy (the recryptd
  // is started knowing the proxy's url() as its audience).
  void set_upstream(std::uint16_t port);
  std::string url() const;  // http://127.0.0.1:PORT
  // Requests of the unknown transaction answered so far.
  int refused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrypt::test
