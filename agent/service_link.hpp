// How the agent reaches recryption services: a client per call (clients are not
// thread-safe and the agent serves requests on several threads), signed by one of the
// user's keys, with each service's audience learned once from its Hello and remembered.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "protocol/jws.hpp"
#include "service/client/client.hpp"

namespace recrypt::agent {

class ServiceDirectory {
 public:
  explicit ServiceDirectory(std::chrono::seconds timeout) : timeout_(timeout) {}

  // A client for `url` whose requests are signed by `signer` (key id `kid`).
  service::Client connect(const std::string& url, jws::Signer signer, const std::string& kid);

 private:
  std::string audience(const std::string& url);
  std::chrono::seconds timeout_;
  std::mutex mutex_;
  std::map<std::string, std::string> audiences_;
};

}  // namespace recrypt::agent
