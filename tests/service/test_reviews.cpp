// Review (docs/SERVICE.md §5b): RecryptData under a reviewed key waits (202) until an
// administrator decides; an approval opens that one key agreement for that one member.
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

// The review request a RecryptData was held for; 0 when it was answered.
std::uint64_t held_for(service::Client& c, const service::RecryptDataRequest& req) {
  try {
    c.recrypt_data(req);
    return 0;
  } catch (const service::ReviewPending& e) {
    return e.request();
  }
}

class ReviewTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
  }
  void review(bool all, std::vector<std::string> keys = {}) {
    service::GroupPolicy p;
    p.review = all;
    p.review_keys = std::move(keys);
    client(*alice).set_policy({group->name, p});
  }
  service::RecryptDataRequest ask(const Scalar& t) {
    return {group->name, group->key_id(), t.public_point()};
  }
  std::unique_ptr<TestPerson> bob;
};

TEST_F(ReviewTest, AnApprovalOpensThatKeyAgreementOnly) {
  review(true);
  auto c = client(*bob);
  Scalar t = Scalar::random(Curve::p256());
  std::uint64_t id = held_for(c, ask(t));
  ASSERT_NE(id, 0u);
  EXPECT_EQ(held_for(c, ask(t)), id) << "asking again is the same request";
  try {
    c.recrypt_data(ask(t));
  } catch (const service::ReviewPending& e) {
    EXPECT_EQ(e.status(), 202);
    EXPECT_EQ(std::string(e.what()),
              "recryption waits for review (request " + std::to_string(id) + ")");
  }

  auto admin = client(*alice);
  auto listed = admin.list_reviews({group->name, "pending"});
  ASSERT_EQ(listed.reviews.size(), 1u);
  const service::Review& r = listed.reviews[0];
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.member, bob->id());
  EXPECT_EQ(r.account, "bob@example.com");
  EXPECT_EQ(r.device, bob->devices[0]->kid());
  EXPECT_EQ(r.key_id, group->key_id());
  EXPECT_EQ(r.agreement, udf::key_fingerprint(t.public_point()));
  EXPECT_EQ(r.state, "pending");

  auto decided = admin.decide_review({group->name, id, true});
  EXPECT_EQ(decided.review.state, "approved");
  EXPECT_EQ(decided.review.decided_by, alice->id());
  auto res = c.recrypt_data(ask(t));
  Scalar x = service::unwrap_share(res.wrapped_share, bob->devices[0]->encryption);
  EXPECT_TRUE(recryption::combine(res.partial, t.public_point().times(x)) ==
              group->secret().public_point().times(t));

  // Another document (another T) is another request.
  Scalar other = Scalar::random(Curve::p256());
  std::uint64_t second = held_for(c, ask(other));
  EXPECT_NE(second, 0u);
  EXPECT_NE(second, id);
  EXPECT_EQ(admin.list_reviews({group->name, ""}).reviews.size(), 2u);
  EXPECT_EQ(admin.list_reviews({group->name, "pending"}).reviews.size(), 1u);
}

TEST_F(ReviewTest, ADenialRefusesAndADecisionStands) {
  review(true);
  auto c = client(*bob);
  Scalar t = Scalar::random(Curve::p256());
  std::uint64_t id = held_for(c, ask(t));
  auto admin = client(*alice);
  admin.decide_review({group->name, id, false});
  EXPECT_EQ(outcome_of([&] { c.recrypt_data(ask(t)); }),
            "401 recryption denied at review by alice@example.com");
  EXPECT_EQ(outcome_of([&] {
              admin.decide_review({group->name, id, true});
            }),
            "409 review request " + std::to_string(id) + " is already denied by alice@example.com");
  EXPECT_EQ(outcome_of([&] {
              admin.decide_review({group->name, id + 100, true});
            }),
            "404 no review request " + std::to_string(id + 100) + " in this group");
}

TEST_F(ReviewTest, OnlyAdministratorsListAndDecide) {
  review(true);
  auto c = client(*bob);
  std::uint64_t id = held_for(c, ask(Scalar::random(Curve::p256())));
  EXPECT_EQ(outcome_of([&] {
              c.list_reviews({group->name, ""});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
  EXPECT_EQ(outcome_of([&] {
              c.decide_review({group->name, id, true});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
  EXPECT_EQ(client(*alice).list_reviews({group->name, "pending"}).reviews.size(), 1u);
}

TEST_F(ReviewTest, AnApprovalNeverOverridesTheMembership) {
  review(true);
  auto c = client(*bob);
  Scalar t = Scalar::random(Curve::p256());
  std::uint64_t id = held_for(c, ask(t));
  auto admin = client(*alice);
  admin.decide_review({group->name, id, true});
  admin.update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(outcome_of([&] { c.recrypt_data(ask(t)); }), "401 member is suspended");
}

TEST_F(ReviewTest, ReviewKeysHoldOnlyTheirKeysAndNoReviewHoldsNothing) {
  auto c = client(*bob);
  Scalar t = Scalar::random(Curve::p256());
  EXPECT_EQ(held_for(c, ask(t)), 0u) << "a group without review answers at once";
  review(false, {group->key_id()});
  EXPECT_NE(held_for(c, ask(t)), 0u);
  review(false);
  EXPECT_EQ(held_for(c, ask(t)), 0u);
}

TEST_F(ReviewTest, TheAuditSaysWhichRequestAndWhichWay) {
  review(true);
  auto c = client(*bob);
  Scalar t = Scalar::random(Curve::p256());
  std::uint64_t id = held_for(c, ask(t));
  auto admin = client(*alice);
  admin.decide_review({group->name, id, true});
  c.recrypt_data(ask(t));
  const std::string agreement = udf::key_fingerprint(t.public_point());
  std::vector<std::string> seen;
  for (const auto& r : admin.read_audit({group->name, 0, 1000}).records) {
    if (r.agreement != agreement) continue;
    seen.push_back(r.transaction + " " + std::to_string(r.status) + " " + r.description);
    EXPECT_EQ(r.key_id, group->key_id());
  }
  const std::string n = std::to_string(id);
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "RecryptData 202 recryption waits for review (request " + n + ")",
                      "DecideReview 201 approved review request " + n + " of bob@example.com",
                      "RecryptData 201 OK"}));
}

TEST(ReviewMessages, RefuseWhatTheyCannotMean) {
  EXPECT_EQ(outcome_of([] {
              service::DecideReviewRequest::from_json(Json{{"group", "g"}, {"request", 1u}});
            }),
            "400 \"approve\" must be true or false");
  EXPECT_EQ(outcome_of([] {
              service::ListReviewsRequest::from_json(Json{{"group", "g"}, {"state", "maybe"}});
            }),
            "400 \"state\" must be pending, approved or denied");
  EXPECT_EQ(outcome_of([] {
              service::ReviewPendingResponse::from_json(Json{{"review_request", 0u}});
            }),
            "400 review request 0 names no request");
  auto back =
      service::DecideReviewRequest::from_json(service::DecideReviewRequest{"g", 7, true}.to_json());
  EXPECT_EQ(back.request, 7u);
  EXPECT_TRUE(back.approve);
}

}  // namespace
}  // namespace recrypt::test
