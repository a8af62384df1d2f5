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

}  // namespace
}  // namespace recrypt::test
