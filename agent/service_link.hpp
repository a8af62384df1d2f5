// How the agent reaches recryption services. Clients are not thread-safe and the agent serves
// requests on several threads, so each request leases a client and gives it back: idle
// clients keep their connection alive and their resolver thread, which costs milliseconds
// to start. Requests are signed for the audience the service's address names
// (service::audience_of), never one the service announces; its Hello is asked once, to refuse a
// service that calls itself something else before anything is signed for it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/jws.hpp"
#include "service/client/client.hpp"

namespace recrypt::agent {

class ServiceDirectory {
 public:
  // `options`: the timeout, and for https and DNS SRV the roots to trust and the DNS server.
  explicit ServiceDirectory(service::ClientOptions options) : options_(std::move(options)) {}
  explicit ServiceDirectory(std::chrono::seconds timeout) : options_(with_timeout(timeout)) {}

  // A client of one request's lifetime; goes back to the pool when destroyed.
  class Lease {
   public:
    Lease(ServiceDirectory& directory, std::string url, std::unique_ptr<service::Client> client)
        : directory_(&directory), url_(std::move(url)), client_(std::move(client)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    service::Client* operator->() { return client_.get(); }
    operator service::Client&() { return *client_; }

   private:
    ServiceDirectory* directory_;
    std::string url_;
    std::unique_ptr<service::Client> client_;
  };

  // A client for `url` whose requests are signed by `signer` (key id `kid`). Throws
  // ServiceError as check() does.
  Lease connect(const std::string& url, jws::Signer signer, const std::string& kid);
  // A client that signs nothing: for the unsigned requests (GetProfile) to a service that is
  // not the user's, which learns nothing of the user's keys from them.
  Lease anonymous(const std::string& url) { return connect(url, jws::Signer{}, ""); }

  // Checks `url` once: an address the client refuses (malformed, or plain HTTP off this
  // machine) fails without any network use; then the service's Hello must name the audience
  // the address does (service::require_audience). Returns that audience.
  std::string check(const std::string& url);
  // Whether the service at `url` named `transaction` among its Hello's features (check()ed
  // first): false for a service older than the transaction, which would refuse it as unknown.
  bool offers(const std::string& url, std::string_view transaction);
  // The service at `url` answered `transaction` as unknown although its Hello offered it (an
  // older instance behind the same address): offers() says false from now on.
  void withdraw(const std::string& url, std::string_view transaction);

 private:
  void give_back(const std::string& url, std::unique_ptr<service::Client> client);
  static service::ClientOptions with_timeout(std::chrono::seconds timeout) {
    service::ClientOptions o;
    o.timeout = timeout;
    return o;
  }

  static constexpr std::size_t kMaxIdlePerService = 4;
  service::ClientOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::string> audiences_;              // of the services whose Hello agreed
  std::map<std::string, std::vector<std::string>> features_;  // what those Hellos listed
  std::map<std::string, std::vector<std::unique_ptr<service::Client>>> idle_;
};

}  // namespace recrypt::agent
