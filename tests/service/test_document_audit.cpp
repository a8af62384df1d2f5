// The audit by document (docs/SERVICE.md §5b): each RecryptData, answered or refused, records
// the document id its client stated and the key agreement id the service computed from the
// epk; ReadAudit's "agreements" returns only the group's records of those agreements, paged,
// and refuses a filter beyond its bounds before reading anything.
#include <set>

#include "protocol/udf.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::AuditRecord;
using service::MemberStatus;

class DocumentAudit : public ServiceTest {
 protected:
  // Bob's and Carol's reads of document D1 (agreement T1) and Bob's of D2 (T2); a refused
  // read of D1 by Bob (no key under that id), by Dave (not a member) and by Carol once
  // revoked.
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
    carol = member("carol@example.com");
    dave = make_person("dave@example.com");
    publish(*dave);
    const std::string name = group->name, key = group->key_id();
    client(*bob).recrypt_data({name, key, t1.public_point(), "D1"});
    client(*carol).recrypt_data({name, key, t1.public_point(), "D1"});
    client(*bob).recrypt_data({name, key, t2.public_point(), "D2"});
    EXPECT_EQ(outcome_of([&] {
                client(*bob).recrypt_data({name, "WRONG", t1.public_point(), "D1"});
              }),
              "404 no recryption key for this member and key_id");
    EXPECT_EQ(outcome_of([&] {
                client(*dave).recrypt_data({name, key, t1.public_point(), "D1"});
              }),
              "401 not a member of this group");
    client(*alice).update_member(update_request(*carol, MemberStatus::revoked, std::nullopt));
    EXPECT_EQ(outcome_of([&] {
                client(*carol).recrypt_data({name, key, t1.public_point(), "D1"});
              }),
              "401 member is revoked");
  }

  std::vector<AuditRecord> of_agreements(std::vector<std::string> ids, std::uint64_t after = 0,
                                         std::uint64_t limit = 100) {
    return client(*alice).read_audit({group->name, after, limit, std::move(ids)}).records;
  }

  Scalar t1 = Scalar::random(Curve::p256());
  Scalar t2 = Scalar::random(Curve::p256());
  std::unique_ptr<TestPerson> bob, carol, dave;
};

TEST_F(DocumentAudit, EveryRecryptionRecordsItsDocumentAndAgreement) {
  const std::string a1 = udf::key_fingerprint(t1.public_point());
  const std::string a2 = udf::key_fingerprint(t2.public_point());
  std::vector<AuditRecord> all = client(*alice).read_audit({group->name, 0, 1000}).records;
  std::size_t recryptions = 0;
  for (const AuditRecord& r : all) {
    if (r.transaction != "RecryptData") {
      EXPECT_EQ(r.document, "") << r.transaction;
      EXPECT_EQ(r.agreement, "") << r.transaction;
      continue;
    }
    ++recryptions;
    EXPECT_EQ(r.agreement, r.document == "D1" ? a1 : a2) << r.description;
  }
  EXPECT_EQ(recryptions, 6u);
}

TEST_F(DocumentAudit, TheFilterGivesOnlyThoseAgreementsRecords) {
  const std::string a1 = udf::key_fingerprint(t1.public_point());
  std::vector<AuditRecord> d1 = of_agreements({a1});
  std::vector<std::string> seen;
  for (const AuditRecord& r : d1) {
    EXPECT_EQ(r.transaction, "RecryptData");
    EXPECT_EQ(r.agreement, a1);
    EXPECT_EQ(r.document, "D1");
    EXPECT_EQ(r.group, group->id());
    std::string who = r.member == bob->id()     ? "bob"
                      : r.member == carol->id() ? "carol"
                      : r.member == dave->id()  ? "dave"
                                                : "?";
    seen.push_back(who + " " + std::to_string(r.status) + " " + r.description);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"bob 201 OK", "carol 201 OK",
                                            "bob 404 no recryption key for this member and key_id",
                                            "dave 401 not a member of this group",
                                            "carol 401 member is revoked"}));
  for (std::size_t i = 1; i < d1.size(); ++i) EXPECT_LT(d1[i - 1].seq, d1[i].seq);

  // Both agreements, and one nobody used: D2's record joins, in seq order.
  std::vector<AuditRecord> both =
      of_agreements({udf::key_fingerprint(t2.public_point()), a1,
                     udf::key_fingerprint(Scalar::random(Curve::p256()).public_point())});
  EXPECT_EQ(both.size(), d1.size() + 1);
  EXPECT_TRUE(of_agreements({"MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA"}).empty());
}

TEST_F(DocumentAudit, TheFilterPages) {
  const std::string a1 = udf::key_fingerprint(t1.public_point());
  std::vector<AuditRecord> whole = of_agreements({a1});
  ASSERT_EQ(whole.size(), 5u);
  std::vector<AuditRecord> paged;
  std::uint64_t after = 0;
  for (;;) {
    std::vector<AuditRecord> page = of_agreements({a1}, after, 2);
    EXPECT_LE(page.size(), 2u);
    if (page.empty()) break;
    after = page.back().seq;
    paged.insert(paged.end(), page.begin(), page.end());
  }
  ASSERT_EQ(paged.size(), whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(paged[i].seq, whole[i].seq);
}

TEST_F(DocumentAudit, AnotherGroupsRecordsStayOut) {
  // The same agreement id asked of a group whose log never saw it: nothing, though the
  // index holds it for "friends".
  auto other = std::make_unique<TestGroup>("others@example.com", server.url());
  std::swap(group, other);
  create_group();
  EXPECT_TRUE(of_agreements({udf::key_fingerprint(t1.public_point())}).empty());
  std::swap(group, other);
}

TEST_F(DocumentAudit, AFilterBeyondItsBoundsIsRefused) {
  auto c = client(*alice);
  std::vector<std::string> many(service::ReadAuditRequest::kMaxAgreements + 1,
                                "MAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA");
  EXPECT_EQ(outcome_of([&] {
              c.read_audit({group->name, 0, 100, many});
            }),
            "413 \"agreements\" names more than 1024 key agreements");
  many.pop_back();
  EXPECT_EQ(outcome_of([&] { c.read_audit({group->name, 0, 100, many}); }), "201 OK");
  EXPECT_EQ(outcome_of([&] {
              c.read_audit({group->name, 0, 100, {std::string(129, 'A')}});
            }),
            "400 \"agreements\" must hold key agreement ids");
  // Through the wire as it is: an empty filter, one of numbers, one that is no array.
  for (const auto& [filter, expected] : std::vector<std::pair<Json, std::string>>{
           {Json::array(), "400 \"agreements\" names no key agreement"},
           {Json::array({1, 2}), "400 \"agreements\" must hold key agreement ids"},
           {Json("MAAA"), "400 message: field \"agreements\" must be an array"}}) {
    std::string body =
        Json{{"ReadAuditRequest", {{"group", group->name}, {"agreements", filter}}}}.dump();
    auto raw = c.post_raw(body, c.sign(body));
    Json answer = Json::parse(raw.body);
    EXPECT_EQ(std::to_string(raw.status) + " " +
                  answer["ReadAuditResponse"].value("StatusDescription", std::string()),
              expected)
        << filter.dump();
  }
  EXPECT_EQ(
      outcome_of([&] {
        client(*bob).read_audit({group->name, 0, 10, {udf::key_fingerprint(t1.public_point())}});
      }),
      "401 this transaction needs an ACTIVE member with ADMIN privilege");
}

}  // namespace
}  // namespace recrypt::test
