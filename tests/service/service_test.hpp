// The common fixture: a fresh recryptd with alice (a person with one device) published, and a
// group "friends" that alice may create.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "tests/service/identities.hpp"
#include "tests/service/recryptd_process.hpp"

namespace recrypt::test {

// The Status of a call: 201 when it returns, the ServiceError's status when it throws.
inline int status_of(const std::function<void()>& call) {
  try {
    call();
    return 201;
  } catch (const service::ServiceError& e) {
    return e.status();
  }
}

class ServiceTest : public ::testing::Test {
 protected:
  explicit ServiceTest(std::vector<std::string> args = {}) : server(std::move(args)) {}

  void SetUp() override {
    server.start();
    alice = make_person("alice@example.com");
    publish(*alice);
    group = std::make_unique<TestGroup>("friends@example.com", server.url());
  }

  service::Client client(const TestPerson& p, int device = 0) { return client_for(server.url(), p, device); }

  void publish(const TestPerson& p) {
    client(p).publish_profile({p.token()}, p.profile_signer(), p.id());
  }

  // alice creates the group with her own RECRYPT entry.
  void create_group() {
    client(*alice).create_group({group->token(), {group->entry_for(*alice, super_privs())}});
  }

  std::unique_ptr<TestPerson> member(const std::string& account, service::Privileges privs = recrypt_only(),
                                     service::MemberStatus status = service::MemberStatus::active) {
    auto p = make_person(account);
    publish(*p);
    client(*alice).add_member({group->name, {group->entry_for(*p, privs, status)}});
    return p;
  }

  RecryptdProcess server;
  std::unique_ptr<TestPerson> alice;
  std::unique_ptr<TestGroup> group;
};

}  // namespace recrypt::test
