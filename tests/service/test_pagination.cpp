// GetGroup's member list and ReadAudit's log come in pages: a cursor (`after`) and a bounded
// page size. The boundaries: exactly one page, a page and one more, an empty page, and cursors
// and sizes a client made up.
#include <algorithm>

#include "protocol/service/group_policy.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::GetGroupRequest;
using service::GetGroupResponse;

class Pagination : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
    carol = member("carol@example.com");
    dave = member("dave@example.com");
    for (const auto* p : {alice.get(), bob.get(), carol.get(), dave.get()}) ids.push_back(p->id());
    std::sort(ids.begin(), ids.end());
  }

  GetGroupResponse page(const std::string& after, std::uint64_t limit) {
    return client(*alice).get_group(GetGroupRequest{group->name, after, limit});
  }
  static std::vector<std::string> ids_of(const GetGroupResponse& r) {
    std::vector<std::string> out;
    for (const auto& m : r.members) out.push_back(m.member);
    return out;
  }

  std::unique_ptr<TestPerson> bob, carol, dave;
  std::vector<std::string> ids;  // every member's, sorted
};

TEST_F(Pagination, ExactlyOnePageHasNoNext) {
  GetGroupResponse r = page("", 4);
  EXPECT_EQ(ids_of(r), ids);
  EXPECT_EQ(r.next, "");
  // Asked for no page size: the default page, which holds the whole group.
  GetGroupResponse all = client(*alice).get_group({group->name});
  EXPECT_EQ(ids_of(all), ids);
  EXPECT_EQ(all.next, "");
}

TEST_F(Pagination, APageAndOneMoreEndWithTheLastMember) {
  GetGroupResponse first = page("", 3);
  EXPECT_EQ(ids_of(first), std::vector<std::string>(ids.begin(), ids.begin() + 3));
  EXPECT_EQ(first.next, ids[2]);
  GetGroupResponse second = page(first.next, 3);
  EXPECT_EQ(ids_of(second), std::vector<std::string>{ids[3]});
  EXPECT_EQ(second.next, "");
  // Every page carries the group itself, not only its members.
  EXPECT_EQ(second.group, group->id());
  EXPECT_EQ(second.chain_length, first.chain_length);
  // One member per page walks the whole group.
  std::vector<std::string> walked;
  for (GetGroupResponse r = page("", 1);; r = page(r.next, 1)) {
    ASSERT_EQ(r.members.size(), 1u);
    walked.push_back(r.members[0].member);
    if (r.next.empty()) break;
  }
  EXPECT_EQ(walked, ids);
}

TEST_F(Pagination, ACursorPastTheLastMemberIsAnEmptyPage) {
  GetGroupResponse r = page(ids.back(), 10);
  EXPECT_TRUE(r.members.empty());
  EXPECT_EQ(r.next, "");
  EXPECT_EQ(r.group, group->id());
}

TEST_F(Pagination, AMadeUpCursorIsOnlyAPlaceInTheOrder) {
  // Not an id of any member, and SQL-looking: the members that sort after it, nothing else.
  const std::string hostile = "' OR 1=1 --";
  std::vector<std::string> after;
  std::copy_if(ids.begin(), ids.end(), std::back_inserter(after),
               [&](const std::string& id) { return id > hostile; });
  EXPECT_EQ(ids_of(page(hostile, 10)), after);
  EXPECT_TRUE(page("~~~~", 10).members.empty());
  EXPECT_EQ(outcome_of([&] { page(std::string(5000, 'M'), 10); }),
            "400 field \"after\" is too long");
}

TEST_F(Pagination, ThePageSizeIsBounded) {
  EXPECT_EQ(outcome_of([&] { page("", GetGroupRequest::kMaxLimit + 1); }),
            "400 limit must be 1..1000");
  auto c = client(*alice);
  std::string body =
      service::serialize_request("GetGroup", Json{{"group", group->name}, {"limit", 0}});
  auto raw = c.post_raw(body, c.sign(body));
  EXPECT_EQ(raw.status, 400);
  EXPECT_NE(raw.body.find("limit must be 1..1000"), std::string::npos) << raw.body;
}

TEST_F(Pagination, HiddenMembershipIsOneEntryWhateverThePage) {
  service::GroupPolicy p;
  p.hidden_membership = true;
  client(*alice).set_policy({group->name, p});
  GetGroupResponse r = client(*bob).get_group(GetGroupRequest{group->name, "", 1});
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].member, bob->id());
  EXPECT_EQ(r.next, "");
  // A cursor does not walk past the caller's own entry into the others'.
  EXPECT_TRUE(client(*bob).get_group(GetGroupRequest{group->name, "", 1}).next.empty());
  EXPECT_TRUE(client(*bob).get_group(GetGroupRequest{group->name, "A", 1}).members.empty());
  // The administrator still walks every page.
  EXPECT_EQ(page("", 3).next, ids[2]);
}

TEST_F(Pagination, TheAuditLogPagesAtItsBoundaries) {
  auto c = client(*alice);
  std::vector<service::AuditRecord> all = c.read_audit({group->name, 0, 1000}).records;
  ASSERT_GE(all.size(), 4u);
  const std::uint64_t n = all.size();
  // Exactly one page, then nothing after it.
  EXPECT_EQ(c.read_audit({group->name, 0, n}).records.size(), n);
  // Each read is audited too: the log grows behind the cursor, never inside the page read.
  EXPECT_EQ(c.read_audit({group->name, all.back().seq, n}).records.front().transaction,
            "ReadAudit");
  // A page and one more.
  auto first = c.read_audit({group->name, 0, n - 1}).records;
  ASSERT_EQ(first.size(), n - 1);
  auto second = c.read_audit({group->name, first.back().seq, 1}).records;
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].seq, all.back().seq);
  // A cursor past the end, and sizes out of bounds.
  EXPECT_TRUE(c.read_audit({group->name, ~std::uint64_t{0} >> 1, 10}).records.empty());
  EXPECT_EQ(outcome_of([&] { c.read_audit({group->name, 0, 1001}); }), "400 limit must be 1..1000");
}

}  // namespace
}  // namespace recrypt::test
