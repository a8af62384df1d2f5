// Several recryptd on one PostgreSQL store (docs/SERVICE.md §5b "Several recryptd", §6): two
// instances A and B with one --audience answer as one service. A nonce is spent on all of
// them, a revocation through one holds at once on the other (also when its notifications are
// lost), membership chains stay linear under concurrent administrators, a quota counts the
// answers of both, a restart of PostgreSQL costs 503s while it is away and nothing after, and
// the audit pages in one order from either. PostgreSQL only (the pg.* run).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "protocol/service/membership.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MembershipState;
using service::MemberStatus;
using service::RecordOp;

constexpr const char* kAudience = "https://recrypt.test";

class Instances : public ServiceTest {
 protected:
  explicit Instances(PostgresServer* cluster = nullptr)
      : ServiceTest({"--audience", kAudience}, cluster) {}

  void SetUp() override {
    if (!RecryptdProcess::on_postgres())
      GTEST_SKIP() << "several recryptd share a PostgreSQL store only";
    ServiceTest::SetUp();
    b = std::make_unique<RecryptdProcess>(std::vector<std::string>{"--audience", kAudience},
                                          server);
    b->start();
  }

  // A is `server`; every client signs for the one audience.
  service::Client client(const TestPerson& p, int device = 0) override {
    return at(server, p, device);
  }
  static service::Client at(const RecryptdProcess& instance, const TestPerson& p, int device = 0) {
    if (device < 0) return service::Client(instance.url(), kAudience, p.profile_signer(), p.id());
    const TestDevice& d = *p.devices.at(static_cast<std::size_t>(device));
    return service::Client(instance.url(), kAudience, d.signer(), d.kid());
  }
  std::string recrypt_at(const RecryptdProcess& instance, const TestPerson& p) {
    Scalar t = Scalar::random(Curve::p256());
    return outcome_of([&] {
      at(instance, p).recrypt_data({group->name, group->key_id(), t.public_point()});
    });
  }
  // The connections on which the instances LISTEN for other instances' changes, ended as an
  // operator (or a failing network) would end them.
  void kill_listeners() {
    server.run_sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        "current_database() AND query LIKE 'LISTEN%'");
  }

  std::unique_ptr<RecryptdProcess> b;
};

TEST_F(Instances, ARequestAcceptedByOneIsAReplayAtTheOther) {
  create_group();
  auto bob = member("bob@example.com");
  for (const char* type : {"RecryptData", "GetGroup"}) {
    Scalar t = Scalar::random(Curve::p256());
    Json req =
        std::string(type) == "GetGroup"
            ? service::GetGroupRequest{group->name}.to_json()
            : service::RecryptDataRequest{group->name, group->key_id(), t.public_point()}.to_json();
    auto a_client = at(server, *bob);
    std::string body = service::serialize_request(type, req);
    std::string signature = a_client.sign(body);
    auto first = a_client.post_raw(body, signature);
    EXPECT_EQ(first.status, 201) << type << ": " << first.body;
    auto again = at(*b, *bob).post_raw(body, signature);
    EXPECT_EQ(again.status, 401) << type;
    EXPECT_NE(again.body.find("request is a replay (nonce already seen)"), std::string::npos)
        << type << ": " << again.body;
  }
}

// A RecryptBatch's agreements store their nonces (the request's, then derived ones) beside
// their audit records: the other instance finds the first taken and refuses the whole batch,
// deciding none of its agreements again.
TEST_F(Instances, ABatchAcceptedByOneIsAReplayAtTheOther) {
  create_group();
  auto bob = member("bob@example.com");
  service::RecryptBatchRequest req;
  for (int i = 0; i < 3; ++i)
    req.agreements.push_back(
        {group->name, group->key_id(), Scalar::random(Curve::p256()).public_point()});
  auto a_client = at(server, *bob);
  std::string body = service::serialize_request("RecryptBatch", req.to_json());
  std::string signature = a_client.sign(body);
  auto first = a_client.post_raw(body, signature);
  EXPECT_EQ(first.status, 201) << first.body;
  auto again = at(*b, *bob).post_raw(body, signature);
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_NE(again.body.find("request is a replay (nonce already seen)"), std::string::npos)
      << again.body;
  int recryptions = 0;
  for (const auto& r : client(*alice).read_audit({group->name, 0, 1000}).records)
    if (r.transaction == "RecryptData") ++recryptions;
  EXPECT_EQ(recryptions, 3);
}

TEST_F(Instances, ARevocationThroughOneHoldsAtOnceOnTheOther) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = member("carol@example.com");
  // B serves both, and keeps what it read for them.
  EXPECT_EQ(recrypt_at(*b, *bob), "201 OK");
  EXPECT_EQ(recrypt_at(*b, *carol), "201 OK");
  client(*alice).update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(recrypt_at(*b, *bob), "401 member is suspended");
  client(*alice).update_member(update_request(*carol, MemberStatus::revoked, std::nullopt));
  EXPECT_EQ(recrypt_at(*b, *carol), "401 member is revoked");
}

TEST_F(Instances, ARevocationHoldsOnTheOtherWithoutItsNotifications) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = member("carol@example.com");
  EXPECT_EQ(recrypt_at(*b, *bob), "201 OK");
  EXPECT_EQ(recrypt_at(*b, *carol), "201 OK");
  kill_listeners();
  client(*alice).update_member(update_request(*bob, MemberStatus::revoked, std::nullopt));
  EXPECT_EQ(recrypt_at(*b, *bob), "401 member is revoked");
  // A change no notification announces at all: B's generation stays where it was, its cached
  // plan for carol says active, and only the check of the generation at the bookkeeping's
  // commit finds the plan stale.
  EXPECT_EQ(recrypt_at(*b, *carol), "201 OK");
  server.run_sql("UPDATE members SET status = 'REVOKED' WHERE member_id = '" + carol->id() +
                 "'; UPDATE generation SET value = value + 1 WHERE id = 1");
  EXPECT_EQ(recrypt_at(*b, *carol), "401 member is revoked");
  EXPECT_EQ(recrypt_at(server, *carol), "401 member is revoked");
}

// A device key removed by another recryptd (here: by hand in the store, with no notification)
// signs nothing more through B, which had it cached: reads and recryptions by the generation
// check, a change by the check of its signer in its own transaction.
TEST_F(Instances, AKeyRemovedElsewhereSignsNothingMore) {
  create_group();
  auto bob = member("bob@example.com");
  EXPECT_EQ(outcome_of([&] { at(*b, *bob).get_group({group->name}); }), "201 OK");
  EXPECT_EQ(recrypt_at(*b, *bob), "201 OK");
  EXPECT_EQ(outcome_of([&] { at(*b, *alice).set_policy({group->name, {}}); }), "201 OK");
  server.run_sql("DELETE FROM signers WHERE kid = '" + bob->devices.at(0)->kid() +
                 "'; UPDATE generation SET value = value + 1 WHERE id = 1");
  EXPECT_EQ(outcome_of([&] { at(*b, *bob).get_group({group->name}); }),
            "401 request is signed by an unknown key");
  EXPECT_EQ(recrypt_at(*b, *bob), "401 request is signed by an unknown key");
  // Not even the generation moves: only the change's own transaction finds the key gone.
  server.run_sql("DELETE FROM signers WHERE kid = '" + alice->devices.at(0)->kid() + "'");
  EXPECT_EQ(outcome_of([&] {
              at(*b, *alice).set_policy({group->name, {}});
            }),
            "401 request is signed by an unknown key");
}

// Two administrators, one through each instance, add members at once; each re-reads the
// chain when refused 409, as the agent does.
TEST_F(Instances, ConcurrentAdministratorsKeepTheChainLinear) {
  constexpr int kEach = 5;
  create_group();
  auto dave = member("dave@example.com", admin_privs());
  std::vector<std::unique_ptr<TestPerson>> people;
  for (int i = 0; i < 2 * kEach; ++i) {
    people.push_back(make_person("m" + std::to_string(i) + "@example.com"));
    publish(*people.back());
  }
  auto add_all = [&](const RecryptdProcess& instance, const TestPerson& admin, int first,
                     int& conflicts) {
    const TestGroup& g = *group;
    auto c = at(instance, admin);
    for (int i = first; i < first + kEach; ++i) {
      for (int attempt = 0;; ++attempt) {
        ASSERT_LT(attempt, 100) << "member " << i << " never added";
        // This administrator's view of the chain, read again before each attempt.
        MembershipState chain(g.id());
        for (;;) {
          auto page = c.read_membership({g.id(), chain.length()});
          for (const auto& token : page.records) chain.append(token);
          if (chain.length() >= page.length || page.records.empty()) break;
        }
        const TestPerson& p = *people[static_cast<std::size_t>(i)];
        service::MembershipRecord record = chain.next(RecordOp::add);
        record.members = {change(p, recrypt_only())};
        service::AddMemberRequest req{
            g.name,
            {g.entry_for(p, recrypt_only())},
            {record.sign(g.signing.public_point(), jws::software_signer(g.signing))}};
        int status = status_of([&] { c.add_member(req); });
        if (status == 201) break;
        ASSERT_EQ(status, 409) << "member " << i;
        ++conflicts;
      }
    }
  };
  int conflicts_a = 0;
  int conflicts_b = 0;
  // An exception must not leave the thread (it would end the test process): it is a failure.
  std::string thread_failure;
  std::thread through_b([&] {
    try {
      add_all(*b, *dave, kEach, conflicts_b);
    } catch (const std::exception& e) {
      thread_failure = e.what();
    }
  });
  add_all(server, *alice, 0, conflicts_a);
  through_b.join();
  EXPECT_EQ(thread_failure, "");
  // Read back through B, every record checked against the chain's rules.
  MembershipState chain(group->id());
  auto c = at(*b, *alice);
  for (;;) {
    auto page = c.read_membership({group->id(), chain.length()});
    for (const auto& token : page.records) chain.append(token);
    if (chain.length() >= page.length || page.records.empty()) break;
  }
  // Genesis, dave, and each administrator's members.
  EXPECT_EQ(chain.length(), static_cast<std::uint64_t>(2 + 2 * kEach));
  for (const auto& p : people) EXPECT_EQ(chain.members().count(p->id()), 1u) << p->account;
  RecordProperty("conflicts", conflicts_a + conflicts_b);
}

TEST_F(Instances, AQuotaCountsTheAnswersOfBoth) {
  create_group();
  auto bob = member("bob@example.com");
  service::GroupPolicy policy;
  policy.member_quotas[bob->id()] = {3, 0};
  client(*alice).set_policy({group->name, policy});
  EXPECT_EQ(recrypt_at(server, *bob), "201 OK");
  EXPECT_EQ(recrypt_at(*b, *bob), "201 OK");
  EXPECT_EQ(recrypt_at(server, *bob), "201 OK");
  std::string refused = recrypt_at(*b, *bob);
  EXPECT_TRUE(std::regex_match(
      refused, std::regex("429 quota exceeded: 3 recryptions per hour for this member; retry in "
                          "(3[0-5][0-9][0-9]|3600) s")))
      << refused;
  EXPECT_EQ(recrypt_at(server, *bob).substr(0, 19), "429 quota exceeded:");
}

// Readers page the audit from both instances while both write: each sees the one seq order
// of the group, nothing skipped and nothing twice.
TEST_F(Instances, TheAuditPagesInOneOrderFromEither) {
  create_group();
  auto bob = member("bob@example.com");
  std::atomic<bool> writing{true};
  auto write = [&](const RecryptdProcess& instance) {
    while (writing.load()) EXPECT_EQ(recrypt_at(instance, *bob), "201 OK");
  };
  // Pages of a few records from `after` on until told to stop and past the writers' last
  // record (each ReadAudit adds a record of its own: the log never ends).
  auto read = [&](const RecryptdProcess& instance, std::vector<std::uint64_t>& seen,
                  std::atomic<bool>& reading) {
    auto c = at(instance, *alice);
    std::uint64_t after = 0;
    for (;;) {
      bool last = !reading.load();
      service::ReadAuditResponse page;
      try {
        page = c.read_audit({group->name, after, 7});
      } catch (const std::exception& e) {
        // Not thrown on: an exception leaving the thread would end the test process.
        ADD_FAILURE() << "ReadAudit after " << after << ": " << e.what();
        return;
      }
      bool written = false;
      for (const auto& r : page.records) {
        seen.push_back(r.seq);
        after = r.seq;
        written = written || r.transaction == "RecryptData";
      }
      if (last && !written) return;
    }
  };
  std::atomic<bool> reading{true};
  std::vector<std::uint64_t> from_a;
  std::vector<std::uint64_t> from_b;
  std::thread wa([&] { write(server); });
  std::thread wb([&] { write(*b); });
  std::thread ra([&] { read(server, from_a, reading); });
  std::thread rb([&] { read(*b, from_b, reading); });
  std::this_thread::sleep_for(std::chrono::seconds(3));
  writing = false;
  wa.join();
  wb.join();
  reading = false;
  ra.join();
  rb.join();
  // What the group's audit holds now, up to the last record each reader saw (the readers'
  // own ReadAudit records go on after that).
  std::vector<std::uint64_t> all;
  auto c = client(*alice);
  for (std::uint64_t after = 0;;) {
    auto page = c.read_audit({group->name, after, 1000});
    for (const auto& r : page.records) all.push_back(r.seq);
    if (page.records.size() < 1000) break;
    after = page.records.back().seq;
  }
  ASSERT_GT(from_a.size(), 20u);
  for (const auto* seen : {&from_a, &from_b}) {
    std::vector<std::uint64_t> expected(all.begin(),
                                        std::upper_bound(all.begin(), all.end(), seen->back()));
    EXPECT_EQ(*seen, expected);
  }
}

// A cluster of the test's own, to restart.
struct OwnCluster {
  std::optional<PostgresServer> pg;
  OwnCluster() {
    if (RecryptdProcess::on_postgres()) pg.emplace(PostgresServer::start_new());
  }
};

class InstancesOnOwnCluster : protected OwnCluster, public Instances {
 protected:
  InstancesOnOwnCluster() : Instances(pg ? &*pg : nullptr) {}
};

TEST_F(InstancesOnOwnCluster, APostgreSQLRestartUnderLoadCostsOnly503sWhileItIsAway) {
  create_group();
  auto bob = member("bob@example.com");
  std::atomic<bool> running{true};
  std::atomic<bool> restarted{false};
  auto load = [&](const RecryptdProcess& instance, std::map<std::string, int>& outcomes,
                  int& after_restart) {
    while (running.load()) {
      std::string outcome = recrypt_at(instance, *bob);
      ++outcomes[outcome];
      if (restarted.load() && outcome == "201 OK") ++after_restart;
    }
  };
  std::map<std::string, int> at_a;
  std::map<std::string, int> at_b;
  int ok_a = 0;
  int ok_b = 0;
  std::thread ta([&] { load(server, at_a, ok_a); });
  std::thread tb([&] { load(*b, at_b, ok_b); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  pg->restart();
  restarted = true;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  running = false;
  ta.join();
  tb.join();
  // A request whose COMMIT was under way when the server went is told so, not that the store
  // was unreachable: its outcome is unknown to the service too (pg_store.cpp). Either is the
  // store's absence, and nothing else may answer.
  for (const auto* outcomes : {&at_a, &at_b})
    for (const auto& [outcome, n] : *outcomes)
      EXPECT_TRUE(outcome == "201 OK" || outcome == "503 the store is unreachable" ||
                  outcome == "503 the store did not confirm the change")
          << outcome << " x" << n;
  EXPECT_GT(ok_a, 0);
  EXPECT_GT(ok_b, 0);
  EXPECT_TRUE(server.running());
  EXPECT_TRUE(b->running());
  EXPECT_EQ(recrypt_at(server, *bob), "201 OK");
  EXPECT_EQ(recrypt_at(*b, *bob), "201 OK");
}

}  // namespace
}  // namespace recrypt::test
