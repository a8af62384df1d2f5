#include "agent/service_link.hpp"

namespace recrypt::agent {
namespace {
service::ClientOptions options(std::chrono::seconds timeout) {
  service::ClientOptions o;
  o.timeout = timeout;
  return o;
}
}  // namespace

std::string ServiceDirectory::audience(const std::string& url) {
  {
    std::lock_guard guard(mutex_);
    if (auto it = audiences_.find(url); it != audiences_.end()) return it->second;
  }
  // Hello is unsigned: no key is needed to ask a service what it calls itself.
  service::Client anonymous(url, "", jws::Signer{}, "", options(timeout_));
  std::string aud = anonymous.hello().audience;
  std::lock_guard guard(mutex_);
  audiences_[url] = aud;
  return aud;
}

service::Client ServiceDirectory::connect(const std::string& url, jws::Signer signer, const std::string& kid) {
  return service::Client(url, audience(url), std::move(signer), kid, options(timeout_));
}

}  // namespace recrypt::agent
