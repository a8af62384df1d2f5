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

// The StatusDescription of a refused call ("" when it succeeds).
inline std::string refusal_of(const std::function<void()>& call) {
  try {
    call();
    return "";
  } catch (const service::ServiceError& e) {
    return e.what();
  }
}

// "STATUS StatusDescription" of a call: "201 OK" when it returns. Refusal tests compare it
// whole, so a refusal that came from another rule than the one under test fails them.
inline std::string outcome_of(const std::function<void()>& call) {
  try {
    call();
    return "201 OK";
  } catch (const service::ServiceError& e) {
    return std::to_string(e.status()) + " " + e.what();
  }
}

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
  // On PostgreSQL, the server on a new database of `cluster` (when given) rather than of the
  // test cluster.
  ServiceTest(std::vector<std::string> args, PostgresServer* cluster)
      : server(cluster != nullptr ? RecryptdProcess(std::move(args), *cluster)
                                  : RecryptdProcess(std::move(args))) {}

  void SetUp() override {
    server.start();
    alice = make_person("alice@example.com");
    publish(*alice);
    group = std::make_unique<TestGroup>("friends@example.com", server.url());
  }

  // Virtual: a fixture whose servers share an --audience signs for it.
  virtual service::Client client(const TestPerson& p, int device = 0) {
    return client_for(server.url(), p, device);
  }

  void publish(const TestPerson& p) {
    client(p).publish_profile({p.token()}, p.profile_signer(), p.id());
  }

  // alice creates the group, SUPER, with the genesis record that names her.
  service::CreateGroupRequest create_request() {
    group->chain = service::MembershipState(group->id());
    return {group->token(),
            {group->entry_for(*alice, super_privs())},
            {group->record(service::RecordOp::genesis, {change(*alice, super_privs())})}};
  }
  void create_group() { client(*alice).create_group(create_request()); }

  // The chain as the service holds it now, read as alice, who stays an ACTIVE member.
  void sync_chain() {
    auto c = client(*alice);
    service::MembershipState chain(group->id());
    for (;;) {
      auto page = c.read_membership({group->id(), chain.length()});
      for (const auto& token : page.records) chain.append(token);
      if (chain.length() >= page.length || page.records.empty()) break;
    }
    group->chain = std::move(chain);
  }

  // The member transactions' requests, with their signed records (by the group's key unless
  // `by` is given), made against the chain as the service holds it now.
  service::AddMemberRequest add_request(
      const TestPerson& p, service::Privileges privs = recrypt_only(),
      service::MemberStatus status = service::MemberStatus::active,
      const TestPerson* by = nullptr) {
    sync_chain();
    return {group->name,
            {group->entry_for(p, privs, status)},
            {group->record(service::RecordOp::add, {change(p, privs, status)}, by)}};
  }
  service::UpdateMemberRequest update_request(const TestPerson& p,
                                              std::optional<service::MemberStatus> status,
                                              std::optional<service::Privileges> privs,
                                              const TestPerson* by = nullptr) {
    sync_chain();
    service::MemberState next = group->chain.members().at(p.id());
    if (status) next.status = *status;
    if (privs) next.privileges = *privs;
    return {group->name,  p.id(),
            status,       privs,
            std::nullopt, {group->record(service::RecordOp::update, {{p.id(), next}}, by)}};
  }
  service::UpdateMemberRequest resplit_request(const TestPerson& p) {
    sync_chain();
    service::MemberState now = group->chain.members().at(p.id());
    return {group->name,
            p.id(),
            std::nullopt,
            std::nullopt,
            group->entry_for(p, now.privileges, now.status),
            {group->record(service::RecordOp::resplit, {{p.id(), now}})}};
  }
  // After group->rotate(): the new profile, these entries, and the rotate record.
  service::RotateGroupKeyRequest rotate_request(std::vector<service::MemberEntry> entries,
                                                const TestPerson* by = nullptr) {
    sync_chain();
    return {group->name,
            group->token(),
            std::move(entries),
            {group->record(service::RecordOp::rotate, {}, by)}};
  }

  std::unique_ptr<TestPerson> member(const std::string& account,
                                     service::Privileges privs = recrypt_only(),
                                     service::MemberStatus status = service::MemberStatus::active) {
    auto p = make_person(account);
    publish(*p);
    client(*alice).add_member(add_request(*p, privs, status));
    return p;
  }

  RecryptdProcess server;
  std::unique_ptr<TestPerson> alice;
  std::unique_ptr<TestGroup> group;
};

}  // namespace recrypt::test
