// A service of several instances, from the client's side: a dead instance is passed over, an
// answer lost after a change is reported as OutcomeUnknown and never resent, reads and
// RecryptData are sent once more; and a kill -9 of one of two recryptd on one store in the
// middle of a burst loses no acknowledged change.
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "protocol/recryption.hpp"
#include "service/client/service_address.hpp"
#include "service/client/target_order.hpp"
#include "tests/service/dropping_proxy.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::OutcomeUnknown;
using service::RecordOp;

// A loopback port nothing listens on: connecting to it is refused at once.
std::string dead_url() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, {boost::asio::ip::address_v4::loopback(), static_cast<std::uint16_t>(0)});
  return "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

service::Client client_at(const std::string& urls, const std::string& audience, const TestPerson& p,
                          service::ClientOptions options = {}) {
  const TestDevice& d = *p.devices.at(0);
  return service::Client(urls, audience, d.signer(), d.kid(), std::move(options));
}

std::size_t audit_count(service::Client& c, const std::string& group, const std::string& txn) {
  std::size_t n = 0;
  for (const auto& r : c.read_audit({group, 0, 1000}).records) n += r.transaction == txn;
  return n;
}

class Failover : public ServiceTest {
 protected:
  service::Client via(const std::string& urls, const TestPerson& p) {
    return client_at(urls, server.url(), p);
  }
};

TEST(ServiceAddressList, EveryEntryIsCheckedAndTheFirstNamesTheService) {
  const std::string list = "https://r1.example.com,https://R2.example.com:8443";
  auto all = service::parse_service_addresses(list);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].host, "r2.example.com");
  EXPECT_EQ(all[1].port, "8443");
  EXPECT_EQ(service::audience_of(service::parse_service_address(list)), "https://r1.example.com");
  EXPECT_NO_THROW(service::require_audience(list, "https://r1.example.com"));
  EXPECT_EQ(refusal_of([] { service::parse_service_addresses("https://a.example.com,"); }),
            "a list of service URLs has an empty entry (separate them by commas, no spaces)");
  EXPECT_EQ(
      refusal_of([] { service::parse_service_address("https://a.example.com,http://b.example"); }),
      "service address http://b.example: refusing plain http:// to b.example: signed requests "
      "and recrypted keys would cross the network unprotected; use https:// (plain HTTP is only "
      "for a service on this machine: 127.0.0.1, ::1, localhost)");
  EXPECT_EQ(refusal_of([] { service::parse_service_address("https://a.example.com, b.example"); }),
            "service address  b.example: a service is an http:// or https:// URL, or a domain "
            "name to look up");
}

TEST(TargetOrderTest, AFailedTargetGoesToTheBackForAWhile) {
  service::TargetOrder order(std::chrono::milliseconds(300));
  std::vector<std::string> targets = {"a:1", "b:2", "c:3"};
  EXPECT_EQ(order.order(targets), (std::vector<std::size_t>{0, 1, 2}));
  order.failed("a:1");
  EXPECT_EQ(order.order(targets), (std::vector<std::size_t>{1, 2, 0}));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(order.order(targets), (std::vector<std::size_t>{0, 1, 2}));
}

TEST_F(Failover, DeadFirstUrlTheSecondAnswers) {
  std::string list = dead_url() + "," + server.url();
  auto c = via(list, *alice);
  EXPECT_EQ(c.hello().audience, server.url());
  c.create_group(create_request());
  EXPECT_EQ(c.get_group({group->name}).group, group->id());
  // The same through ClientOptions::alternates.
  service::ClientOptions options;
  options.alternates = {server.url()};
  auto alt = client_at(dead_url(), server.url(), *alice, options);
  EXPECT_EQ(alt.get_group({group->name}).group, group->id());
  // With no live instance, the last one's failure is the error.
  EXPECT_EQ(status_of([&] { via(dead_url() + "," + dead_url(), *alice).hello(); }), 503);
}

TEST_F(Failover, ChangeWhoseAnswerIsLostIsOutcomeUnknownAndNotResent) {
  create_group();
  auto bob = make_person("bob@example.com");
  publish(*bob);
  DroppingProxy proxy(server.port());
  // The next instance is live: a resend would reach it.
  auto c = via(proxy.url() + "," + server.url(), *alice);
  auto request = add_request(*bob);
  proxy.drop_answers(1);
  try {
    c.add_member(request);
    FAIL() << "the lost answer went unnoticed";
  } catch (const OutcomeUnknown& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_TRUE(e.maybe_applied());
    std::string text = e.what();
    EXPECT_NE(text.find("reading the response of 127.0.0.1:"), std::string::npos) << text;
    EXPECT_NE(text.find(": the request may have been applied; read it back before repeating it"),
              std::string::npos)
        << text;
  }
  EXPECT_EQ(proxy.dropped(), 1);
  // Applied exactly once: one AddMember in the audit, one record after the genesis.
  auto direct = client(*alice);
  EXPECT_EQ(audit_count(direct, group->name, "AddMember"), 1u);
  EXPECT_EQ(direct.read_membership({group->id(), 0}).length, 2u);
  // Read back, as a caller resolves it: bob is there.
  sync_chain();
  EXPECT_TRUE(group->chain.members().contains(bob->id()));
}

TEST_F(Failover, RecryptDataWhoseAnswerIsLostIsSentOnceMore) {
  create_group();
  DroppingProxy proxy(server.port());
  auto c = via(proxy.url() + "," + server.url(), *alice);
  Scalar t = Scalar::random(Curve::p256());
  proxy.drop_answers(1);
  auto res = c.recrypt_data({group->name, group->key_id(), t.public_point()});
  // The answer of the second copy is a good one: R + x·T = a·T.
  Scalar x = service::unwrap_share(res.wrapped_share, alice->devices[0]->encryption);
  EXPECT_EQ(recryption::combine(res.partial, t.public_point().times(x)),
            t.public_point().times(group->secret()));
  EXPECT_EQ(proxy.dropped(), 1);
  auto direct = client(*alice);
  EXPECT_EQ(audit_count(direct, group->name, "RecryptData"), 2u);
}

TEST_F(Failover, RotationStepsWhoseAnswersAreLostAreSentOnceMore) {
  create_group();
  auto bob = member("bob@example.com");
  DroppingProxy proxy(server.port());
  auto c = via(proxy.url() + "," + server.url(), *alice);
  sync_chain();
  group->rotate();
  proxy.drop_answers(1);
  auto begun = c.begin_rotation({group->name, group->token(), group->record(RecordOp::rotate)});
  EXPECT_EQ(begun.key_id, group->key_id());
  EXPECT_EQ(begun.staged, 0u);
  // A client of its own: the first one sends to the proxy last for a while now.
  auto c2 = via(proxy.url() + "," + server.url(), *alice);
  proxy.drop_answers(1);
  auto added = c2.add_rotation_entries(
      {group->name,
       group->key_id(),
       {group->entry_for(*alice, recrypt_only()), group->entry_for(*bob, recrypt_only())}});
  // Staged twice, counted once: the second copy replaced the first.
  EXPECT_EQ(added.staged, 2u);
  EXPECT_EQ(proxy.dropped(), 2);
  auto committed = c.commit_rotation({group->name, group->key_id()});
  EXPECT_EQ(committed.entries, 2u);
  EXPECT_EQ(client(*alice).get_group({group->name}).key_id, group->key_id());
}

TEST_F(Failover, ReadIsSentOnceMoreOnly) {
  create_group();
  DroppingProxy proxy(server.port());
  auto c = via(proxy.url(), *alice);
  proxy.drop_answers(2);
  try {
    c.get_group({group->name});
    FAIL() << "two lost answers went unnoticed";
  } catch (const service::ServiceError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_FALSE(e.maybe_applied());
    EXPECT_NE(std::string(e.what()).find("recryption service unreachable: reading the response"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(proxy.dropped(), 2);
  EXPECT_EQ(c.get_group({group->name}).group, group->id());
}

// The chain of `group_id` as the service behind `c` holds it.
service::MembershipState read_chain(service::Client& c, const std::string& group_id) {
  service::MembershipState chain(group_id);
  for (;;) {
    auto page = c.read_membership({group_id, chain.length()});
    for (const auto& token : page.records) chain.append(token);
    if (chain.length() >= page.length || page.records.empty()) return chain;
  }
}

// One client of the burst: an administrator adding members to a group of its own and asking
// for a recryption after each.
struct Worker {
  std::unique_ptr<TestPerson> admin;
  std::unique_ptr<TestGroup> group;
  std::vector<std::unique_ptr<TestPerson>> members;
  std::vector<std::string> acknowledged;  // member ids whose AddMember was answered or read back
  int unknown = 0;                        // OutcomeUnknown answers, each resolved by reading back
  int recryptions = 0;
  std::string error;  // the first failure it could not resolve
};

// Adds `p`, resolving a lost answer as the agent does: read the chain back; the record is
// there → done; absent → a new request against the chain as it is.
void add_resolving(service::Client& c, Worker& w, const TestPerson& p) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    service::AddMemberRequest req{w.group->name,
                                  {w.group->entry_for(p, recrypt_only())},
                                  {w.group->record(RecordOp::add, {change(p, recrypt_only())})}};
    try {
      c.add_member(req);
      w.acknowledged.push_back(p.id());
      return;
    } catch (const service::ServiceError& e) {
      if (e.maybe_applied())
        ++w.unknown;
      else if (e.status() != service::status::kConflict)
        throw;
    }
    w.group->chain = read_chain(c, w.group->id());
    if (w.group->chain.members().contains(p.id())) {
      w.acknowledged.push_back(p.id());
      return;
    }
  }
  throw std::runtime_error("AddMember of " + p.account + " did not settle");
}

// kill -9 of one of two recryptd on one store, in the middle of a burst of changes and
// recryptions by clients that know both: no change acknowledged to a client is lost, every
// OutcomeUnknown is resolved by reading back, and every client finishes on the other instance.
TEST(FailoverKill, OneOfTwoInstancesKilledMidBurstLosesNoAcknowledgedChange) {
  if (!RecryptdProcess::on_postgres()) GTEST_SKIP() << "two instances share a PostgreSQL store";
  const std::string audience = "https://recrypt.example.com";
  RecryptdProcess a({"--audience", audience});
  a.start();
  RecryptdProcess b({"--audience", audience}, a);
  b.start();
  const std::string both = a.url() + "," + b.url();
  constexpr int kWorkers = 4;
  constexpr int kRounds = 10;

  std::vector<Worker> workers(kWorkers);
  for (int i = 0; i < kWorkers; ++i) {
    Worker& w = workers[static_cast<std::size_t>(i)];
    std::string n = std::to_string(i);
    w.admin = make_person("admin" + n + "@example.com");
    w.group = std::make_unique<TestGroup>("g" + n + "@example.com", audience);
    auto c = client_at(a.url(), audience, *w.admin);
    c.publish_profile({w.admin->token()}, w.admin->profile_signer(), w.admin->id());
    w.group->chain = service::MembershipState(w.group->id());
    c.create_group({w.group->token(),
                    {w.group->entry_for(*w.admin, super_privs())},
                    {w.group->record(RecordOp::genesis, {change(*w.admin, super_privs())})}});
    for (int r = 0; r < kRounds; ++r) {
      w.members.push_back(make_person("m" + std::to_string(r) + "-" + n + "@example.com"));
      const TestPerson& m = *w.members.back();
      c.publish_profile({m.token()}, m.profile_signer(), m.id());
    }
  }

  std::atomic<int> done_ops{0};
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w, &both, &audience, &done_ops] {
      service::ClientOptions options;
      options.timeout = std::chrono::milliseconds(5000);
      auto c = client_at(both, audience, *w.admin, options);
      try {
        for (const auto& m : w.members) {
          add_resolving(c, w, *m);
          ++done_ops;
          Scalar t = Scalar::random(Curve::p256());
          c.recrypt_data({w.group->name, w.group->key_id(), t.public_point()});
          ++w.recryptions;
          ++done_ops;
        }
      } catch (const std::exception& e) {
        w.error = e.what();
      }
    });
  constexpr int kTotal = kWorkers * kRounds * 2;
  while (done_ops < kTotal / 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  a.kill9();
  int at_kill = done_ops;
  for (auto& t : threads) t.join();
  EXPECT_LT(at_kill, kTotal) << "the kill came after the burst";

  int unknown = 0;
  for (auto& w : workers) {
    EXPECT_EQ(w.error, "") << w.group->name;
    EXPECT_EQ(w.recryptions, kRounds) << w.group->name;
    EXPECT_EQ(w.acknowledged.size(), static_cast<std::size_t>(kRounds)) << w.group->name;
    unknown += w.unknown;
    // Read through B alone: every acknowledged member is there, each added once.
    auto on_b = client_at(b.url(), audience, *w.admin);
    auto chain = read_chain(on_b, w.group->id());
    for (const auto& id : w.acknowledged) EXPECT_TRUE(chain.members().contains(id)) << id;
    EXPECT_EQ(chain.length(), 1u + w.acknowledged.size()) << w.group->name;
  }
  // Not asserted (it depends on where the kill fell), but worth seeing when it fails.
  RecordProperty("outcome_unknown", unknown);
  RecordProperty("ops_at_kill", at_kill);
}

}  // namespace
}  // namespace recrypt::test
