// A group's policy at the service: SetPolicy by administrators only, checked against the group;
// GetGroup shows it to administrators only; hidden membership keeps members from each other.
#include "protocol/service/group_policy.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::GroupPolicy;

std::string refusal_text(const std::function<void()>& call) { return outcome_of(call); }

TEST(GroupPolicyJson, RoundTripsAndRefusesWhatItDoesNotKnow) {
  GroupPolicy p;
  p.hidden_membership = true;
  p.review_keys = {"MKEY"};
  p.quota = {3, 10};
  p.member_quotas["MBOB"] = {1, 0};
  EXPECT_EQ(GroupPolicy::from_json(p.to_json()), p);
  EXPECT_EQ(p.quota_for("MBOB").per_hour, 1u);
  EXPECT_EQ(p.quota_for("MCAROL").per_hour, 3u);
  EXPECT_TRUE(p.reviews("MKEY"));
  EXPECT_FALSE(p.reviews("MOTHER"));
  EXPECT_EQ(refusal_text([] {
              GroupPolicy::from_json(Json{{"hidden", true}});
            }),
            "400 group policy: unknown setting \"hidden\"");
  EXPECT_EQ(refusal_text([] {
              GroupPolicy::from_json(Json{{"quota", {{"per_hour", -1}}}});
            }),
            "400 group policy: \"per_hour\" must be a count from 0 (no limit) to 2^32-1");
  EXPECT_EQ(refusal_text([] {
              GroupPolicy::from_json(Json{{"quota", {{"per_week", 1}}}});
            }),
            "400 group policy: unknown setting \"per_week\" in quota");
  EXPECT_EQ(refusal_text([] {
              GroupPolicy::from_json(Json{{"review", "yes"}});
            }),
            "400 group policy: \"review\" must be true or false");
}

class GroupPolicyTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
    carol = member("carol@example.com");
  }
  void set(const GroupPolicy& p) { client(*alice).set_policy({group->name, p}); }
  std::unique_ptr<TestPerson> bob, carol;
};

TEST_F(GroupPolicyTest, OnlyAdministratorsSetOrSeeIt) {
  GroupPolicy p;
  p.quota = {5, 0};
  EXPECT_EQ(refusal_text([&] {
              client(*bob).set_policy({group->name, p});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
  set(p);
  auto as_alice = client(*alice).get_group({group->name});
  ASSERT_TRUE(as_alice.policy);
  EXPECT_EQ(as_alice.policy->quota.per_hour, 5u);
  EXPECT_FALSE(client(*bob).get_group({group->name}).policy);
}

TEST_F(GroupPolicyTest, RefusesMembersAndKeysTheGroupDoesNotHave) {
  GroupPolicy p;
  p.member_quotas["MNOBODY"] = {1, 1};
  EXPECT_EQ(refusal_text([&] { set(p); }),
            "404 a member quota names MNOBODY, not a member of the group");
  p.member_quotas.clear();
  p.review_keys = {"MNOKEY"};
  EXPECT_EQ(refusal_text([&] { set(p); }), "404 review key MNOKEY is not a key of the group");
}

TEST_F(GroupPolicyTest, HiddenMembershipShowsMembersOnlyThemselves) {
  EXPECT_EQ(client(*bob).get_group({group->name}).members.size(), 3u);
  GroupPolicy p;
  p.hidden_membership = true;
  set(p);
  auto as_bob = client(*bob).get_group({group->name});
  EXPECT_TRUE(as_bob.hidden_membership);
  ASSERT_EQ(as_bob.members.size(), 1u);
  EXPECT_EQ(as_bob.members[0].account, "bob@example.com");
  EXPECT_GT(as_bob.chain_length, 0u);
  EXPECT_FALSE(as_bob.chain_head.empty());
  EXPECT_EQ(refusal_text([&] {
              client(*bob).read_membership({group->id(), 0});
            }),
            "401 the membership of group " + group->name +
                " is hidden from its members: only an ADMIN reads its chain");
  EXPECT_EQ(client(*alice).get_group({group->name}).members.size(), 3u);
  EXPECT_EQ(client(*alice).read_membership({group->id(), 0}).length, as_bob.chain_length);
}

}  // namespace
}  // namespace recrypt::test
