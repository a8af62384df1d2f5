// Quotas at the service (docs/SERVICE.md §5b): a member answered as often as its quota allows
// in the sliding hour is refused with 429, the rule and a Retry-After; refusals do not count,
// other members count on their own, and a restart of recryptd forgets nothing.
#include <regex>

#include "protocol/recryption.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

class Quotas : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
    carol = member("carol@example.com");
  }

  void set_policy(const service::GroupPolicy& policy) {
    client(*alice).set_policy({group->name, policy});
  }
  std::string recrypt(const TestPerson& p) {
    Scalar t = Scalar::random(Curve::p256());
    return outcome_of([&] {
      client(p).recrypt_data({group->name, group->key_id(), t.public_point()});
    });
  }
  // The answer as it is on the wire: Status, the HTTP status and the Retry-After header.
  service::Client::RawResponse recrypt_raw(const TestPerson& p) {
    Scalar t = Scalar::random(Curve::p256());
    auto c = client(p);
    std::string body = service::serialize_request(
        "RecryptData",
        service::RecryptDataRequest{group->name, group->key_id(), t.public_point()}.to_json());
    return c.post_raw(body, c.sign(body));
  }
  int audited(int status, const std::string& member_id) {
    int n = 0;
    for (const auto& r : client(*alice).read_audit({group->name, 0, 1000}).records)
      if (r.transaction == "RecryptData" && r.status == status && r.member == member_id) ++n;
    return n;
  }

  std::unique_ptr<TestPerson> bob;
  std::unique_ptr<TestPerson> carol;
};

const std::regex kBobRefused(
    "429 quota exceeded: 3 recryptions per hour for this member; retry in (3[0-5][0-9][0-9]|3600) "
    "s");

TEST_F(Quotas, TheFourthRecryptionInAnHourIsRefused) {
  service::GroupPolicy policy;
  policy.member_quotas[bob->id()] = {3, 0};
  set_policy(policy);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(recrypt(*bob), "201 OK") << i;
  std::string refused = recrypt(*bob);
  EXPECT_TRUE(std::regex_match(refused, kBobRefused)) << refused;
  auto raw = recrypt_raw(*bob);
  EXPECT_EQ(raw.status, 429);
  ASSERT_FALSE(raw.retry_after.empty());
  std::int64_t wait = std::stoll(raw.retry_after);
  EXPECT_GT(wait, 3000);
  EXPECT_LE(wait, 3600);
  EXPECT_NE(raw.body.find("quota exceeded"), std::string::npos) << raw.body;
  // Carol has no quota of her own and the group none for everyone.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(recrypt(*carol), "201 OK") << i;
  // The administrator sees every refusal, each with its reason; only the answers count.
  EXPECT_EQ(audited(201, bob->id()), 3);
  EXPECT_EQ(audited(429, bob->id()), 2);
}

TEST_F(Quotas, TheGroupDefaultCountsEachMemberAlone) {
  service::GroupPolicy policy;
  policy.quota = {0, 2};
  set_policy(policy);
  EXPECT_EQ(recrypt(*bob), "201 OK");
  EXPECT_EQ(recrypt(*bob), "201 OK");
  EXPECT_EQ(recrypt(*carol), "201 OK");
  std::string refused = recrypt(*bob);
  EXPECT_TRUE(refused.starts_with(
      "429 quota exceeded: 2 recryptions per day for each member of this group; retry in "))
      << refused;
  EXPECT_EQ(recrypt(*carol), "201 OK");
  // Lifting the quota lets Bob through at once; a quota set again counts what he had
  // meanwhile as well (three answered today).
  set_policy({});
  EXPECT_EQ(recrypt(*bob), "201 OK");
  policy.quota = {0, 3};
  set_policy(policy);
  refused = recrypt(*bob);
  EXPECT_TRUE(refused.starts_with("429 quota exceeded: 3 recryptions per day")) << refused;
}

TEST_F(Quotas, ARestartForgetsNothing) {
  service::GroupPolicy policy;
  policy.member_quotas[bob->id()] = {3, 0};
  set_policy(policy);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(recrypt(*bob), "201 OK") << i;
  server.restart();
  std::string refused = recrypt(*bob);
  EXPECT_TRUE(std::regex_match(refused, kBobRefused)) << refused;
}

}  // namespace
}  // namespace recrypt::test
