// RecryptBatch (docs/SERVICE.md §4.7b): the key agreements of one document asked in one signed
// request, each decided as its own RecryptData: answered, refused or counted alone, audited
// one record each, and the whole refused only for what concerns the request itself (its
// signature, its replay, its size).
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;
using service::RecryptBatchRequest;
using service::RecryptBatchResponse;

// Bob is a member of three groups of this service, a, b and c, created by alice.
class RecryptBatch : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    bob = make_person("bob@example.com");
    publish(*bob);
    for (const char* name : {"a@example.com", "b@example.com", "c@example.com"}) {
      group = std::make_unique<TestGroup>(name, server.url());
      create_group();
      client(*alice).add_member(add_request(*bob));
      groups.push_back(std::move(group));
    }
  }

  // Runs `f` with `group` set to groups[i], as the fixture's helpers expect.
  void in_group(std::size_t i, const std::function<void()>& f) {
    std::swap(group, groups[i]);
    f();
    std::swap(group, groups[i]);
  }

  // One agreement per group, each with its own T.
  RecryptBatchRequest request_for(const std::vector<std::size_t>& which,
                                  const std::string& document = "D1") {
    RecryptBatchRequest req;
    req.document = document;
    for (std::size_t i : which)
      req.agreements.push_back({groups[i]->name, groups[i]->key_id(), t[i].public_point()});
    return req;
  }

  // Z = R + x·T is t·A for agreement k of `req`, sent for groups[which[k]].
  bool combines(const service::RecryptBatchResult& r, std::size_t i) {
    if (!r.answer) return false;
    Scalar x = service::unwrap_share(r.answer->wrapped_share, bob->devices[0]->encryption);
    return recryption::combine(r.answer->partial, t[i].public_point().times(x)) ==
           groups[i]->secret().public_point().times(t[i]);
  }

  std::string outcome(const service::RecryptBatchResult& r) {
    return std::to_string(r.status) + " " + r.description;
  }

  std::vector<service::AuditRecord> recryptions_in(std::size_t i) {
    std::vector<service::AuditRecord> out;
    in_group(i, [&] {
      for (auto& r : client(*alice).read_audit({group->name, 0, 1000}).records)
        if (r.transaction == "RecryptData") out.push_back(r);
    });
    return out;
  }

  std::unique_ptr<TestPerson> bob;
  std::vector<std::unique_ptr<TestGroup>> groups;
  Scalar t[3] = {Scalar::random(Curve::p256()), Scalar::random(Curve::p256()),
                 Scalar::random(Curve::p256())};
};

TEST_F(RecryptBatch, HelloOffersIt) {
  auto features = client(*bob).hello().features;
  EXPECT_NE(std::find(features.begin(), features.end(), "RecryptBatch"), features.end());
}

TEST_F(RecryptBatch, ThreeGroupsAnsweredInOneRequestCombine) {
  RecryptBatchResponse answer = client(*bob).recrypt_batch(request_for({0, 1, 2}));
  ASSERT_EQ(answer.results.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(outcome(answer.results[i]), "201 OK") << i;
    EXPECT_TRUE(combines(answer.results[i], i)) << i;
  }
}

TEST_F(RecryptBatch, EachAgreementIsAuditedWithTheDocument) {
  client(*bob).recrypt_batch(request_for({0, 1, 2}, "D7"));
  for (std::size_t i = 0; i < 3; ++i) {
    std::vector<service::AuditRecord> records = recryptions_in(i);
    ASSERT_EQ(records.size(), 1u) << i;
    EXPECT_EQ(records[0].status, 201);
    EXPECT_EQ(records[0].member, bob->id());
    EXPECT_EQ(records[0].document, "D7");
    EXPECT_EQ(records[0].agreement, udf::key_fingerprint(t[i].public_point()));
  }
}

TEST_F(RecryptBatch, ARefusedAgreementSaysWhichRuleAndTheOthersAreAnswered) {
  // Bob revoked from c; an agreement for a group that does not exist; one under a key id
  // that is not a's.
  in_group(2, [&] {
    client(*alice).update_member(update_request(*bob, MemberStatus::revoked, std::nullopt));
  });
  RecryptBatchRequest req = request_for({0, 2, 1});
  req.agreements.push_back({"nobody@example.com", groups[0]->key_id(), t[0].public_point()});
  req.agreements.push_back({groups[0]->name, "WRONG", t[0].public_point()});
  RecryptBatchResponse answer = client(*bob).recrypt_batch(req);
  ASSERT_EQ(answer.results.size(), 5u);
  EXPECT_EQ(outcome(answer.results[0]), "201 OK");
  EXPECT_TRUE(combines(answer.results[0], 0));
  EXPECT_EQ(outcome(answer.results[1]), "401 member is revoked");
  EXPECT_FALSE(answer.results[1].answer);
  EXPECT_EQ(outcome(answer.results[2]), "201 OK");
  EXPECT_TRUE(combines(answer.results[2], 1));
  EXPECT_EQ(outcome(answer.results[3]), "404 no such group");
  EXPECT_EQ(outcome(answer.results[4]), "404 no recryption key for this member and key_id");
  // The refusal is in c's audit, as a RecryptData's would be.
  std::vector<service::AuditRecord> c = recryptions_in(2);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].status, 401);
  EXPECT_EQ(c[0].description, "member is revoked");
}

TEST_F(RecryptBatch, MoreThanSixteenAgreementsAreRefusedWhole) {
  RecryptBatchRequest req;
  for (int i = 0; i < 17; ++i)
    req.agreements.push_back({groups[0]->name, groups[0]->key_id(), t[0].public_point()});
  EXPECT_EQ(outcome_of([&] { client(*bob).recrypt_batch(req); }),
            "413 too many key agreements in one RecryptBatch (at most 16)");
  EXPECT_TRUE(recryptions_in(0).empty());
  req.agreements.clear();
  EXPECT_EQ(outcome_of([&] { client(*bob).recrypt_batch(req); }),
            "400 RecryptBatch names no key agreement");
}

TEST_F(RecryptBatch, AReplayIsRefusedWhole) {
  auto c = client(*bob);
  std::string body = service::serialize_request("RecryptBatch", request_for({0, 1, 2}).to_json());
  std::string signature = c.sign(body);
  auto first = c.post_raw(body, signature);
  EXPECT_EQ(first.status, 201) << first.body;
  auto again = c.post_raw(body, signature);
  EXPECT_EQ(again.status, 401);
  const Json answer = Json::parse(again.body).begin().value();
  EXPECT_EQ(answer.value("StatusDescription", ""), "request is a replay (nonce already seen)");
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(recryptions_in(i).size(), 1u) << i;
}

TEST_F(RecryptBatch, TheQuotaCountsEachAgreement) {
  in_group(0, [&] {
    service::GroupPolicy policy;
    policy.member_quotas[bob->id()] = {3, 0};
    client(*alice).set_policy({group->name, policy});
  });
  RecryptBatchRequest req = request_for({0, 0, 0, 0, 1});
  RecryptBatchResponse answer = client(*bob).recrypt_batch(req);
  ASSERT_EQ(answer.results.size(), 5u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(answer.results[i].status, 201) << i;
  EXPECT_TRUE(outcome(answer.results[3])
                  .starts_with("429 quota exceeded: 3 recryptions per hour for this member"))
      << outcome(answer.results[3]);
  // Group b has no quota.
  EXPECT_EQ(outcome(answer.results[4]), "201 OK");
  int answered = 0, refused = 0;
  for (const auto& r : recryptions_in(0)) (r.status == 201 ? answered : refused) += 1;
  EXPECT_EQ(answered, 3);
  EXPECT_EQ(refused, 1);
  // A single RecryptData afterwards finds the quota spent by the batch.
  EXPECT_TRUE(
      outcome_of([&] {
        client(*bob).recrypt_data({groups[0]->name, groups[0]->key_id(), t[0].public_point()});
      }).starts_with("429 quota exceeded"));
}

}  // namespace
}  // namespace recrypt::test

namespace recrypt::test {
namespace {

// A service's answer is untrusted: each result is checked as RecryptData's answer would be.
TEST(RecryptBatchMessages, ResultsAreCheckedLikeRecryptDataAnswers) {
  using service::RecryptBatchResponse;
  auto parse = [](const std::string& text) {
    return outcome_of([&] { RecryptBatchResponse::from_json(Json::parse(text)); });
  };
  EXPECT_EQ(parse(R"({"results": [{"Status": 401, "StatusDescription": "member is revoked"}]})"),
            "201 OK");
  EXPECT_TRUE(
      parse(R"({"results": [{"Status": 201, "StatusDescription": "OK"}]})").starts_with("400 "));
  EXPECT_TRUE(parse(R"({"results": [{"Status": 202}]})").starts_with("400 "));
  EXPECT_TRUE(parse(R"({"results": [{"Status": "201"}]})").starts_with("400 "));
  EXPECT_TRUE(parse(R"({"results": [7]})").starts_with("400 "));
  std::string many = R"({"results": [)";
  for (int i = 0; i < 17; ++i) many += std::string(i ? "," : "") + R"({"Status": 404})";
  EXPECT_TRUE(parse(many + "]}").starts_with("413 ")) << parse(many + "]}");
}

}  // namespace
}  // namespace recrypt::test
