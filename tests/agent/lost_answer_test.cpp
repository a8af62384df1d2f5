// The agent's side of a service of several instances, against real recryptd: an address that
// lists them, and a membership change whose answer was lost, settled by reading back.
#include <boost/asio/ip/tcp.hpp>

#include "agent/lost_answer.hpp"
#include "agent/service_link.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

std::string dead_url() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, {boost::asio::ip::address_v4::loopback(), static_cast<std::uint16_t>(0)});
  return "http://127.0.0.1:" + std::to_string(a.local_endpoint().port());
}

// The instances run with --audience set to the list's first URL; that one is down.
TEST(AgentServiceList, SignsForTheFirstUrlAndReachesTheNext) {
  const std::string first = dead_url();
  RecryptdProcess server({"--audience", first});
  server.start();
  const std::string list = first + "," + server.url();
  agent::ServiceDirectory services(std::chrono::seconds(5));
  EXPECT_EQ(services.check(list), first);
  auto alice = make_person("alice@example.com");
  auto link = services.connect(list, alice->profile_signer(), alice->id());
  link->publish_profile({alice->token()}, alice->profile_signer(), alice->id());
}

class LostAnswer : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = make_person("bob@example.com");
    publish(*bob);
    carol = make_person("carol@example.com");
    publish(*carol);
  }
  static service::OutcomeUnknown lost() {
    return service::OutcomeUnknown(
        "recryption service unreachable: reading the response of 127.0.0.1:1: end of stream: "
        "the request may have been applied; read it back before repeating it");
  }
  std::unique_ptr<TestPerson> bob, carol;
};

TEST_F(LostAnswer, AppliedChangeIsFoundAndNotSentAgain) {
  auto c = client(*alice);
  auto req = add_request(*bob);
  int sends = 0;
  agent::send_membership_change(c, group->id(), 1, req.records.at(0), [&] {
    ++sends;
    c.add_member(req);
    throw lost();
  });
  EXPECT_EQ(sends, 1);
  EXPECT_EQ(c.read_membership({group->id(), 0}).length, 2u);
}

TEST_F(LostAnswer, ChangeThatDidNotArriveIsSentAgain) {
  auto c = client(*alice);
  auto req = add_request(*bob);
  int sends = 0;
  agent::send_membership_change(c, group->id(), 1, req.records.at(0), [&] {
    if (++sends == 1) throw lost();
    c.add_member(req);
  });
  EXPECT_EQ(sends, 2);
  sync_chain();
  EXPECT_TRUE(group->chain.members().contains(bob->id()));
  EXPECT_EQ(group->chain.length(), 2u);
}

TEST_F(LostAnswer, AnotherRecordInItsPlaceIsAConflict) {
  auto c = client(*alice);
  auto mine = add_request(*bob);
  group->chain = service::MembershipState(group->id());
  sync_chain();  // forget bob's record: another administrator adds carol at the same place
  auto theirs = add_request(*carol);
  EXPECT_EQ(outcome_of([&] {
              agent::send_membership_change(c, group->id(), 1, mine.records.at(0), [&] {
                c.add_member(theirs);
                throw lost();
              });
            }),
            "409 the group's membership chain moved on while the answer was lost: record 1 is "
            "another change than this one; try again");
}

TEST_F(LostAnswer, UnreadableChainLeavesTheLostAnswer) {
  auto c = service::Client(dead_url(), server.url(), alice->devices[0]->signer(),
                           alice->devices[0]->kid());
  auto req = add_request(*bob);
  try {
    agent::send_membership_change(c, group->id(), 1, req.records.at(0), [] { throw lost(); });
    FAIL() << "settled without reading";
  } catch (const service::ServiceError& e) {
    EXPECT_TRUE(e.maybe_applied());
    EXPECT_NE(std::string(e.what()).find("read it back before repeating it"), std::string::npos);
  }
}

}  // namespace
}  // namespace recrypt::test
