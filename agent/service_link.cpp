#include "agent/service_link.hpp"

#include <algorithm>

#include "service/client/service_address.hpp"

namespace recrypt::agent {

ServiceDirectory::Lease::~Lease() {
  if (client_) directory_->give_back(url_, std::move(client_));
}

std::string ServiceDirectory::check(const std::string& url) {
  {
    std::lock_guard guard(mutex_);
    if (auto it = audiences_.find(url); it != audiences_.end()) return it->second;
  }
  std::string expected = service::audience_of(service::parse_service_address(url));
  // Hello is unsigned: no key is needed to ask a service what it calls itself. A refusal is
  // not remembered, so a service whose operator fixes --audience works without a restart.
  service::Client unsigned_client(url, expected, jws::Signer{}, "", options_);
  service::HelloResponse hello = unsigned_client.hello();
  service::require_audience(url, hello.audience);
  std::lock_guard guard(mutex_);
  audiences_[url] = expected;
  features_[url] = std::move(hello.features);
  return expected;
}

bool ServiceDirectory::offers(const std::string& url, std::string_view transaction) {
  check(url);
  std::lock_guard guard(mutex_);
  const std::vector<std::string>& features = features_[url];
  return std::find(features.begin(), features.end(), transaction) != features.end();
}

void ServiceDirectory::withdraw(const std::string& url, std::string_view transaction) {
  std::lock_guard guard(mutex_);
  std::erase(features_[url], transaction);
}

ServiceDirectory::Lease ServiceDirectory::connect(const std::string& url, jws::Signer signer,
                                                  const std::string& kid) {
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
    client = std::make_unique<service::Client>(url, check(url), std::move(signer), kid, options_);
  }
  return Lease(*this, url, std::move(client));
}

void ServiceDirectory::give_back(const std::string& url, std::unique_ptr<service::Client> client) {
  // An idle client holds no signer: a lease's signer may own a key (a group's, during a
  // recovery) or refer to one that is gone once the lease is. Every lease sets its own.
  client->set_signer(jws::Signer{}, "");
  std::lock_guard guard(mutex_);
  auto& idle = idle_[url];
  if (idle.size() < kMaxIdlePerService) idle.push_back(std::move(client));
}

}  // namespace recrypt::agent
