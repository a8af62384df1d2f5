// Every transaction against a real recryptd: what succeeds and how each refusal looks.
#include <atomic>
#include <thread>
#include <vector>

#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

TEST_F(ServiceTest, HelloNamesVersionsAndAudience) {
  auto c = client(*alice);
  auto hello = c.hello();
  EXPECT_EQ(hello.versions, std::vector<std::string>{"1.0"});
  EXPECT_EQ(hello.audience, server.url());
}

TEST_F(ServiceTest, PublishAndGetProfile) {
  auto c = client(*alice);
  EXPECT_EQ(service::verify_profile(c.get_profile({alice->id(), "", ""}).profile).id(),
            alice->id());
  EXPECT_EQ(service::verify_profile(c.get_profile({"", "alice@example.com", ""}).profile).id(),
            alice->id());
  EXPECT_EQ(outcome_of([&] {
              c.get_profile({"", "nobody@example.com", ""});
            }),
            "404 no such profile");
  // An update with a second device replaces the first version.
  alice->devices.push_back(std::make_unique<TestDevice>());
  alice->devices.back()->name = "phone";
  publish(*alice);
  EXPECT_EQ(
      service::verify_personal_profile(c.get_profile({alice->id(), "", ""}).profile).devices.size(),
      2u);
  // Another key may not take the account.
  auto mallory = make_person("alice@example.com");
  EXPECT_EQ(outcome_of([&] { publish(*mallory); }),
            "409 another profile already uses this account name");
}

TEST_F(ServiceTest, PublishProfileMustBeSignedByTheProfileKey) {
  auto bob = make_person("bob@example.com");
  auto c = client(*bob);
  // Checked against the profile's own key, a device's signature does not verify.
  EXPECT_EQ(outcome_of([&] {
              c.publish_profile({bob->token()}, bob->devices[0]->signer(), bob->devices[0]->kid());
            }),
            "401 request signature does not verify");
  EXPECT_EQ(outcome_of([&] { c.publish_profile({"garbage"}, bob->profile_signer(), bob->id()); }),
            "400 profile is not a JWS compact");
}

// Mallory lists alice's device, keys and proof copied from alice's published profile, as one
// of her own, through a properly signed request. Without the device's private key she cannot
// prove possession for her profile, and the service answers why.
TEST_F(ServiceTest, PublishProfileRefusesADeviceOfAnotherUser) {
  auto mallory = make_person("mallory@example.com");
  auto c = client(*mallory, -1);
  service::PersonalProfile forged = mallory->profile();
  forged.devices.push_back(
      service::verify_personal_profile(c.get_profile({alice->id(), "", ""}).profile).devices.at(0));
  forged.devices.back().name = "laptop";
  std::string body = service::serialize_request(
      "PublishProfile",
      service::PublishProfileRequest{forged.sign(mallory->profile_signer())}.to_json());
  auto reply = c.post_raw(body, c.sign(body));
  EXPECT_EQ(reply.status, 400);
  Json answer = Json::parse(reply.body).at("PublishProfileResponse");
  EXPECT_EQ(answer.at("Status"), 400);
  EXPECT_EQ(answer.at("StatusDescription"),
            "device \"laptop\" of profile " + mallory->id() +
                " has no valid proof of possession by its signing key");
  EXPECT_EQ(outcome_of([&] { c.get_profile({mallory->id(), "", ""}); }), "404 no such profile");
  // Her honest profile is accepted.
  publish(*mallory);
}

TEST_F(ServiceTest, CreateGroup) {
  create_group();
  auto c = client(*alice);
  auto g = c.get_group({group->name});
  EXPECT_EQ(g.group, group->id());
  EXPECT_EQ(g.key_id, group->key_id());
  ASSERT_EQ(g.members.size(), 1u);
  EXPECT_TRUE(g.members[0].privileges.super);
  EXPECT_EQ(service::verify_group_profile(c.get_profile({"", "", group->name}).profile).id(),
            group->id());
  // The name is taken now.
  TestGroup again(group->name, server.url());
  EXPECT_EQ(outcome_of([&] {
              c.create_group({again.token(), {}});
            }),
            "409 a group with this name or id exists");
  // Only people with a published profile create groups.
  auto stranger = make_person("stranger@example.com");
  TestGroup other("other@example.com", server.url());
  EXPECT_EQ(outcome_of([&] {
              client(*stranger).create_group({other.token(), {}});
            }),
            "401 request is signed by an unknown key");
}

TEST_F(ServiceTest, UpdateGroup) {
  create_group();
  auto c = client(*alice);
  group->service_url = "https://recrypt.example.com";
  EXPECT_EQ(c.update_group({group->name, group->token()}).group, group->id());
  EXPECT_EQ(service::verify_group_profile(c.get_group({group->id()}).profile).service,
            "https://recrypt.example.com");
  TestGroup impostor(group->name, server.url());
  EXPECT_EQ(outcome_of([&] {
              c.update_group({group->name, impostor.token()});
            }),
            "409 the new group profile is not signed by the group's signing key");
  auto bob = member("bob@example.com");
  EXPECT_EQ(outcome_of([&] {
              client(*bob).update_group({group->name, group->token()});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
  group->rotate();  // a new key goes through RotateGroupKey, not UpdateGroup
  EXPECT_EQ(outcome_of([&] {
              c.update_group({group->name, group->token()});
            }),
            "409 UpdateGroup keeps the group key; change it with RotateGroupKey");
  EXPECT_EQ(outcome_of([&] {
              c.update_group({"nosuch@example.com", group->token()});
            }),
            "404 no such group");
}

TEST_F(ServiceTest, GetGroupIsForMembers) {
  create_group();
  auto bob = member("bob@example.com");
  auto g = client(*bob).get_group({group->name});
  EXPECT_EQ(g.members.size(), 2u);
  auto carol = make_person("carol@example.com");
  publish(*carol);
  EXPECT_EQ(outcome_of([&] { client(*carol).get_group({group->name}); }),
            "401 GetGroup needs an ACTIVE member of the group");
  EXPECT_EQ(outcome_of([&] { client(*alice).get_group({"nosuch@example.com"}); }),
            "404 no such group");
}

TEST_F(ServiceTest, AddMember) {
  create_group();
  auto bob = make_person("bob@example.com");
  auto carol = make_person("carol@example.com", 2);
  publish(*bob);
  publish(*carol);
  auto c = client(*alice);
  sync_chain();
  auto added =
      c.add_member({group->name,
                    {group->entry_for(*bob, recrypt_only()),
                     group->entry_for(*carol, recrypt_only(), MemberStatus::suspended)},
                    {group->record(service::RecordOp::add, {change(*bob, recrypt_only())}),
                     group->record(service::RecordOp::add,
                                   {change(*carol, recrypt_only(), MemberStatus::suspended)})}});
  EXPECT_EQ(added.added, 2u);
  auto g = c.get_group({group->name});
  ASSERT_EQ(g.members.size(), 3u);
  auto again = add_request(*bob);
  EXPECT_EQ(refusal_of([&] { c.add_member(again); }),
            "member " + bob->id() + " is already in the group");
  auto stranger = make_person("stranger@example.com");  // no published profile
  auto unpublished = add_request(*stranger);
  EXPECT_EQ(refusal_of([&] { c.add_member(unpublished); }),
            "member " + stranger->id() + " has no published personal profile here");
  auto dave = make_person("dave@example.com");
  publish(*dave);
  auto erin = make_person("erin@example.com");
  publish(*erin);
  auto wrong_key = add_request(*erin);
  wrong_key.entries[0].key_id = "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF";
  EXPECT_EQ(refusal_of([&] { c.add_member(wrong_key); }),
            "member entry names a key_id that is not a key of this group");
  auto elsewhere = add_request(*dave);
  elsewhere.group = "nosuch@example.com";
  EXPECT_EQ(outcome_of([&] { c.add_member(elsewhere); }), "404 no such group");
  // A failed request changes nothing, not even its valid entries and records.
  sync_chain();
  service::AddMemberRequest half{
      group->name,
      {group->entry_for(*dave, recrypt_only()), wrong_key.entries[0]},
      {group->record(service::RecordOp::add, {change(*dave, recrypt_only())}),
       group->record(service::RecordOp::add, {change(*erin, recrypt_only())})}};
  EXPECT_EQ(outcome_of([&] { c.add_member(half); }),
            "404 member entry names a key_id that is not a key of this group");
  EXPECT_EQ(c.get_group({group->name}).members.size(), 3u);
  EXPECT_EQ(c.read_membership({group->id()}).length, 3u);
}

TEST_F(ServiceTest, AddMemberNeedsItsSignedRecord) {
  create_group();
  auto bob = make_person("bob@example.com");
  publish(*bob);
  auto c = client(*alice);
  EXPECT_EQ(refusal_of([&] {
              c.add_member({group->name, {group->entry_for(*bob, recrypt_only())}});
            }),
            "the request carries no signed membership record of its change");
  // The entry must say what the record says.
  auto admin_entry = add_request(*bob);
  admin_entry.entries[0].privileges = super_privs();
  EXPECT_EQ(refusal_of([&] { c.add_member(admin_entry); }),
            "member entry for " + bob->id() + " disagrees with its membership record");
  // A record without its key material, and key material without its record.
  auto carol = make_person("carol@example.com");
  publish(*carol);
  sync_chain();
  service::AddMemberRequest no_entry{
      group->name,
      {group->entry_for(*bob, recrypt_only())},
      {group->record(service::RecordOp::add, {change(*bob, recrypt_only())}),
       group->record(service::RecordOp::add, {change(*carol, recrypt_only())})}};
  EXPECT_EQ(outcome_of([&] { c.add_member(no_entry); }),
            "400 every member a membership record adds comes with its key material");
  auto extra_entry = add_request(*bob);
  extra_entry.entries.push_back(group->entry_for(*carol, recrypt_only()));
  EXPECT_EQ(refusal_of([&] { c.add_member(extra_entry); }),
            "member entry for " + carol->id() + " has no membership record");
  EXPECT_EQ(c.get_group({group->name}).members.size(), 1u);
}

TEST_F(ServiceTest, UpdateMember) {
  create_group();
  auto bob = member("bob@example.com");
  auto c = client(*alice);
  auto r = c.update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(r.member.status, MemberStatus::suspended);
  r = c.update_member(
      update_request(*bob, MemberStatus::active, service::Privileges{true, false, false}));
  EXPECT_EQ(r.member.status, MemberStatus::active);
  EXPECT_EQ(r.member.key_ids, std::vector<std::string>{group->key_id()});
  EXPECT_EQ(outcome_of([&] {
              c.update_member({group->name, "NOSUCH", MemberStatus::active, std::nullopt});
            }),
            "404 no such member in this group");
  // No change of status without its record, and none that says otherwise than its record.
  EXPECT_EQ(refusal_of([&] {
              c.update_member({group->name, bob->id(), MemberStatus::suspended, std::nullopt});
            }),
            "the request carries no signed membership record of its change");
  auto disagreeing = update_request(*bob, MemberStatus::suspended, std::nullopt);
  disagreeing.status = MemberStatus::revoked;
  EXPECT_EQ(refusal_of([&] { c.update_member(disagreeing); }),
            "UpdateMember's status or privileges disagree with its membership record");
  c.update_member(update_request(*bob, MemberStatus::revoked, std::nullopt));
  auto reinstate = update_request(*bob, MemberStatus::active, std::nullopt);
  EXPECT_EQ(refusal_of([&] { c.update_member(reinstate); }),
            "a revoked member stays revoked; add a key rollover instead");
}

TEST_F(ServiceTest, UpdateMemberWithAnEntryResplits) {
  create_group();
  auto bob = member("bob@example.com");
  Scalar t = Scalar::random(Curve::p256());
  auto before = client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
  Scalar old_x = service::unwrap_share(before.wrapped_share, bob->devices[0]->encryption);
  auto c = client(*alice);
  c.update_member(resplit_request(*bob));
  auto after = client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
  Scalar new_x = service::unwrap_share(after.wrapped_share, bob->devices[0]->encryption);
  Point z = group->secret().public_point().times(t);
  EXPECT_TRUE(recryption::combine(after.partial, t.public_point().times(new_x)) == z);
  EXPECT_FALSE(recryption::combine(after.partial, t.public_point().times(old_x)) == z);
  auto req = resplit_request(*bob);
  req.entry = group->entry_for(*alice, recrypt_only());  // someone else's entry
  EXPECT_EQ(refusal_of([&] { c.update_member(req); }), "the entry is for another member");
}

TEST_F(ServiceTest, RecryptDataReturnsThePartialAndTheShare) {
  create_group();
  auto bob = member("bob@example.com");
  Scalar t = Scalar::random(Curve::p256());
  auto res = client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
  Scalar x = service::unwrap_share(res.wrapped_share, bob->devices[0]->encryption);
  Point z = recryption::combine(res.partial, t.public_point().times(x));
  EXPECT_TRUE(z == group->secret().public_point().times(t));
}

TEST_F(ServiceTest, RotateGroupKey) {
  create_group();
  auto bob = member("bob@example.com");
  auto c = client(*alice);
  std::string old_key = group->key_id();
  EXPECT_EQ(outcome_of([&] {
              c.rotate_group_key({group->name, group->token(), {}});
            }),
            "409 a rotation needs a new group key");
  group->rotate();
  auto res = c.rotate_group_key(rotate_request({group->entry_for(*bob, recrypt_only())}));
  EXPECT_EQ(res.key_id, group->key_id());
  auto g = c.get_group({group->name});
  EXPECT_EQ(g.key_id, group->key_id());
  for (const auto& m : g.members)
    if (m.member == bob->id()) {
      EXPECT_EQ(m.key_ids.size(), 2u);
    }
  // A profile that drops an old key is refused: old documents must stay readable.
  TestGroup forgetful(group->name, server.url());
  forgetful.signing = group->signing.clone();
  EXPECT_EQ(outcome_of([&] {
              c.rotate_group_key({group->name, forgetful.token(), {}});
            }),
            "409 the new group profile must list every earlier key among its past keys");
  EXPECT_EQ(outcome_of([&] {
              client(*bob).rotate_group_key({group->name, group->token(), {}});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
}

// RecryptData's bookkeeping goes to the writer as rows, many to a statement and several
// statements to a commit: every concurrent request still leaves its one audit record.
TEST_F(ServiceTest, ConcurrentRecryptionsAreEachAudited) {
  create_group();
  auto bob = member("bob@example.com");
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&] {
      auto c = client(*bob);
      for (int j = 0; j < kEach; ++j) {
        Scalar t = Scalar::random(Curve::p256());
        c.recrypt_data({group->name, group->key_id(), t.public_point()});
        ++answered;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(answered, kThreads * kEach);
  auto audit = client(*alice).read_audit({group->name, 0, 1000});
  int recryptions = 0;
  for (const auto& r : audit.records)
    if (r.transaction == "RecryptData" && r.status == 201 && r.device == bob->devices[0]->kid())
      ++recryptions;
  EXPECT_EQ(recryptions, kThreads * kEach);
}

TEST_F(ServiceTest, ReadAudit) {
  create_group();
  auto bob = member("bob@example.com");
  Scalar t = Scalar::random(Curve::p256());
  client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
  EXPECT_EQ(outcome_of([&] {
              client(*bob).recrypt_data({group->name, "WRONG", t.public_point()});
            }),
            "404 no recryption key for this member and key_id");
  auto c = client(*alice);
  auto audit = c.read_audit({group->name, 0, 100});
  int ok = 0, refused = 0;
  for (const auto& r : audit.records) {
    if (r.transaction != "RecryptData") continue;
    EXPECT_EQ(r.member, bob->id());
    EXPECT_EQ(r.device, bob->devices[0]->kid());
    if (r.status == 201) ++ok;
    if (r.status == 404) ++refused;
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(refused, 1);
  auto later = c.read_audit({group->name, audit.records.back().seq, 100});
  EXPECT_LE(later.records.size(), 1u);  // at most the previous ReadAudit itself
  EXPECT_EQ(outcome_of([&] {
              client(*bob).read_audit({group->name, 0, 10});
            }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
}

TEST_F(ServiceTest, TheLogNamesNoSecret) {
  create_group();
  auto bob = member("bob@example.com");
  Scalar t = Scalar::random(Curve::p256());
  client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
  std::string log = server.log();
  EXPECT_NE(log.find("\"type\":\"RecryptData\""), std::string::npos);
  EXPECT_EQ(log.find("\"d\""), std::string::npos);
  EXPECT_EQ(log.find("wrapped"), std::string::npos);
}

}  // namespace
}  // namespace recrypt::test
