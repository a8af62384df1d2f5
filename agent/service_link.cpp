#include "agent/service_link.hpp"

namespace recrypt::agent {
namespace {
service::ClientOptions options(std::chrono::seconds timeout) {
  service::ClientOptions o;
  o.timeout = timeout;
  return o;
}
}  // namespace

ServiceDirectory::Lease::~Lease() {
  if (client_) directory_->give_back(url_, std::move(client_));
}

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

ServiceDirectory::Lease ServiceDirectory::connect(const std::string& url, jws::Signer signer, const std::string& kid) {
  std::unique_ptr<service::Client> client;
  {
    std::lock_guard guard(mutex_);
    auto& idle = idle_[url];
    if (!idle.empty()) {
      client = std::move(idle.back());
      idle.pop_back();
    }
  }
  if (client) {
    client->set_signer(std::move(signer), kid);
  } else {
    client = std::make_unique<service::Client>(url, audience(url), std::move(signer), kid, options(timeout_));
  }
  return Lease(*this, url, std::move(client));
}

void ServiceDirectory::give_back(const std::string& url, std::unique_ptr<service::Client> client) {
  // The client keeps the last signer: harmless, since every lease sets its own.
  std::lock_guard guard(mutex_);
  auto& idle = idle_[url];
  if (idle.size() < kMaxIdlePerService) idle.push_back(std::move(client));
}

}  // namespace recrypt::agent
