// The membership chain as recryptd keeps it: every change is a record an administrator
// signed, each extends the head, and the service refuses what the chain's rules refuse —
// with the rule's own words.

#include "protocol/base64url.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MembershipState;
using service::MemberStatus;
using service::RecordOp;

// The rules alone, as an agent applies them to what a service served.
class ChainRules : public ::testing::Test {
 protected:
  std::string refusal(const std::string& token) {
    MembershipState copy = chain;
    try {
      copy.append(token);
      return "";
    } catch (const service::ServiceError& e) {
      return e.what();
    }
  }

  std::unique_ptr<TestPerson> alice = make_person("alice@example.com");
  std::unique_ptr<TestPerson> bob = make_person("bob@example.com");
  TestGroup group{"friends@example.com", "http://127.0.0.1:1"};
  MembershipState& chain = group.chain;
  void SetUp() override {
    chain = MembershipState(group.id());
    group.record(RecordOp::genesis, {change(*alice, super_privs())});
    group.record(RecordOp::add, {change(*bob, recrypt_only())}, alice.get());
  }
};

TEST_F(ChainRules, AnHonestChainVerifiesAndSurvivesItsStateFile) {
  ASSERT_EQ(chain.length(), 2u);
  EXPECT_EQ(chain.members().at(bob->id()).status, MemberStatus::active);
  EXPECT_EQ(chain.find("bob@example.com")->member, bob->id());
  EXPECT_EQ(chain.find(bob->id().substr(0, 24))->member, bob->id());
  MembershipState back = MembershipState::from_json(chain.to_json());
  EXPECT_EQ(back.head()->hash, chain.head()->hash);
  EXPECT_EQ(back.members().size(), 2u);
  EXPECT_EQ(back.key_id(), group.key_id());
}

TEST_F(ChainRules, RecordsOutOfOrderOrFromElsewhereAreRefused) {
  MembershipState before = chain;
  std::string suspend =
      group.record(RecordOp::update, {change(*bob, recrypt_only(), MemberStatus::suspended)});
  std::string revoke =
      group.record(RecordOp::update, {change(*bob, recrypt_only(), MemberStatus::revoked)});
  chain = before;
  // Skipping a record, and replaying the head.
  EXPECT_EQ(refusal(revoke),
            "membership record 3 does not extend the chain, whose head is record 1 (another "
            "administrator may have changed the group: try again)");
  chain.append(suspend);
  EXPECT_EQ(refusal(suspend),
            "membership record 2 does not extend the chain, whose head is record 2 (another "
            "administrator may have changed the group: try again)");
  // A record whose payload was changed after signing.
  jws::Parsed parts = jws::parse(revoke);
  std::string forged = std::string(parts.header_b64) + "." +
                       base64url::encode(as_bytes(std::string(R"({"group":"x"})"))) + "." +
                       std::string(parts.signature_b64);
  EXPECT_NE(refusal(forged).find("signature"), std::string::npos) << refusal(forged);
  // Another group's record with the right number.
  TestGroup other("other@example.com", "http://127.0.0.1:1");
  other.chain = MembershipState(other.id());
  other.record(RecordOp::genesis, {change(*alice, super_privs())});
  other.record(RecordOp::add, {change(*bob, recrypt_only())});
  std::string foreign =
      other.record(RecordOp::update, {change(*bob, recrypt_only(), MemberStatus::revoked)});
  EXPECT_EQ(refusal(foreign), "membership record 2 is for another group");
  EXPECT_EQ(refusal(revoke), "");
}

TEST_F(ChainRules, AuthorityComesFromTheChain) {
  auto carol = make_person("carol@example.com");
  EXPECT_EQ(refusal(group.record(RecordOp::add, {change(*carol, recrypt_only())}, bob.get())),
            "membership record 2 is signed by " + bob->id() +
                ", who is not an ACTIVE administrator of the group");
  // alice is SUPER: she may make bob an ADMIN, who may then add plain members but not SUPERs.
  group.record(RecordOp::update, {change(*bob, admin_privs())}, alice.get());
  EXPECT_EQ(refusal(group.record(RecordOp::add, {change(*carol, super_privs())}, bob.get())),
            "membership record 3 is signed by " + bob->id() +
                ", not SUPER: only a SUPER member grants ADMIN or SUPER");
  group.record(RecordOp::add, {change(*carol, recrypt_only())},
               bob.get());  // taken: record() appends
  EXPECT_EQ(chain.members().count(carol->id()), 1u);
  // Revoked stays revoked, even by the group's own key.
  group.record(RecordOp::update, {change(*carol, recrypt_only(), MemberStatus::revoked)},
               alice.get());
  EXPECT_EQ(refusal(group.record(RecordOp::update, {change(*carol, recrypt_only())})),
            "a revoked member stays revoked; add a key rollover instead");
  EXPECT_EQ(refusal(group.record(RecordOp::resplit,
                                 {change(*carol, recrypt_only(), MemberStatus::revoked)})),
            "a revoked member gets no new key material");
}

TEST_F(ChainRules, AMemberMayRevokeItselfAndNothingElse) {
  auto carol = make_person("carol@example.com");
  group.record(RecordOp::add, {change(*carol, recrypt_only())}, alice.get());
  const std::string plain = "membership record 3 is signed by " + bob->id() +
                            ", who is not an ACTIVE administrator of the group";
  const std::string own = plain +
                          ": a member's own record may only revoke it, with its "
                          "privileges unchanged";
  EXPECT_EQ(
      refusal(group.record(RecordOp::update,
                           {change(*carol, recrypt_only(), MemberStatus::revoked)}, bob.get())),
      plain);
  EXPECT_EQ(refusal(group.record(RecordOp::update,
                                 {change(*bob, admin_privs(), MemberStatus::revoked)}, bob.get())),
            own);
  EXPECT_EQ(
      refusal(group.record(RecordOp::update, {change(*bob, {}, MemberStatus::active)}, bob.get())),
      own);
  EXPECT_EQ(
      refusal(group.record(RecordOp::update,
                           {change(*bob, recrypt_only(), MemberStatus::suspended)}, bob.get())),
      own);
  group.record(RecordOp::update, {change(*bob, recrypt_only(), MemberStatus::revoked)}, bob.get());
  ASSERT_EQ(chain.length(), 4u);
  EXPECT_EQ(chain.members().at(bob->id()).status, MemberStatus::revoked);
  // Revoked, bob has no record of his own left to sign.
  EXPECT_EQ(refusal(group.record(RecordOp::update,
                                 {change(*bob, recrypt_only(), MemberStatus::revoked)}, bob.get())),
            "membership record 4 is signed by " + bob->id() +
                ", who is not an ACTIVE administrator of the group: a member's own record may "
                "only revoke it, with its privileges unchanged");
}

TEST_F(ChainRules, TheLastActiveSuperDoesNotLeave) {
  const std::string last =
      "the last ACTIVE SUPER administrator cannot leave the group or step down: hand the group "
      "over first (`recrypt group handover`)";
  EXPECT_EQ(
      refusal(group.record(RecordOp::update, {change(*alice, super_privs(), MemberStatus::revoked)},
                           alice.get())),
      last);
  EXPECT_EQ(refusal(group.record(RecordOp::update, {change(*alice, admin_privs())}, alice.get())),
            last);
  // An ADMIN that is not SUPER leaves as any member does.
  auto carol = make_person("carol@example.com");
  group.record(RecordOp::add, {change(*carol, admin_privs())}, alice.get());
  group.record(RecordOp::update, {change(*carol, admin_privs(), MemberStatus::revoked)},
               carol.get());
  EXPECT_EQ(chain.members().at(carol->id()).status, MemberStatus::revoked);
  // With a second SUPER, the first may go.
  group.record(RecordOp::update, {change(*bob, super_privs())}, alice.get());
  group.record(RecordOp::update, {change(*alice, super_privs(), MemberStatus::revoked)},
               alice.get());
  EXPECT_EQ(chain.members().at(alice->id()).status, MemberStatus::revoked);
  EXPECT_EQ(
      refusal(group.record(RecordOp::update, {change(*bob, super_privs(), MemberStatus::suspended)},
                           bob.get())),
      last);
}

class Membership : public ServiceTest {
 protected:
  // The chain the service serves, verified from its genesis.
  MembershipState served() {
    auto page = client(*alice).read_membership({group->id()});
    MembershipState chain(group->id());
    for (const auto& token : page.records) chain.append(token);
    EXPECT_EQ(chain.length(), page.length);
    return chain;
  }

  void edit_database(const std::string& sql) { server.edit_database(sql); }
};

TEST_F(Membership, EveryChangeIsASignedRecordOfTheChain) {
  create_group();
  auto bob = member("bob@example.com");
  auto c = client(*alice);
  c.update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  c.update_member(resplit_request(*bob));
  group->rotate();
  c.rotate_group_key(
      rotate_request({group->entry_for(*alice, super_privs()),
                      group->entry_for(*bob, recrypt_only(), MemberStatus::suspended)}));
  MembershipState chain = served();
  EXPECT_EQ(chain.length(), 5u);  // genesis, add, update, resplit, rotate
  EXPECT_EQ(chain.key_id(), group->key_id());
  EXPECT_EQ(chain.members().at(bob->id()).status, MemberStatus::suspended);
  EXPECT_TRUE(chain.members().at(alice->id()).privileges.super);
  // Read in pages, the same records.
  auto tail = c.read_membership({group->id(), 3, 1});
  ASSERT_EQ(tail.records.size(), 1u);
  EXPECT_EQ(tail.records[0], c.read_membership({group->id()}).records.at(3));
  EXPECT_EQ(tail.length, 5u);
}

TEST_F(Membership, TwoRecordsFromOneHeadDoNotBothLand) {
  create_group();
  auto bob = make_person("bob@example.com");
  auto carol = make_person("carol@example.com");
  publish(*bob);
  publish(*carol);
  // Two administrators' changes made against the same head: the second does not extend it.
  auto first = add_request(*bob);
  auto second = add_request(*carol);
  auto c = client(*alice);
  c.add_member(first);
  EXPECT_EQ(refusal_of([&] { c.add_member(second); }),
            "membership record 1 does not extend the chain, whose head is record 1 (another "
            "administrator may "
            "have changed the group: try again)");
  // A record that names a predecessor other than the head is a fork.
  sync_chain();
  std::string honest = group->record(RecordOp::add, {change(*carol, recrypt_only())});
  service::MembershipRecord forked = service::parse_record(honest).record;
  forked.prev = service::record_hash("some other record");
  service::AddMemberRequest fork{
      group->name,
      {group->entry_for(*carol, recrypt_only())},
      {forked.sign(group->signing.public_point(), jws::software_signer(group->signing))}};
  EXPECT_EQ(refusal_of([&] { c.add_member(fork); }),
            "membership record 2 does not follow the chain's head (a fork)");
  EXPECT_EQ(served().length(), 2u);
}

TEST_F(Membership, OnlyAdministratorsSignRecords) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = make_person("carol@example.com");
  publish(*carol);
  // bob is a plain member: a record he signed adds nobody, even sent by an administrator.
  auto by_bob = add_request(*carol, recrypt_only(), MemberStatus::active, bob.get());
  EXPECT_EQ(refusal_of([&] { client(*alice).add_member(by_bob); }),
            "membership record 2 is signed by " + bob->id() +
                ", who is not an ACTIVE administrator of the group");
  // A stranger's key neither.
  auto stranger = make_person("mallory@example.com");
  auto by_stranger = add_request(*carol, recrypt_only(), MemberStatus::active, stranger.get());
  EXPECT_NE(refusal_of([&] {
              client(*alice).add_member(by_stranger);
            }).find("who is not an ACTIVE administrator"),
            std::string::npos);
  // The genesis is the group key's alone.
  TestGroup other("other@example.com", server.url());
  other.chain = MembershipState(other.id());
  service::CreateGroupRequest create{
      other.token(),
      {other.entry_for(*alice, super_privs())},
      {other.record(RecordOp::genesis, {change(*alice, super_privs())}, alice.get())}};
  EXPECT_EQ(refusal_of([&] { client(*alice).create_group(create); }),
            "membership record 0 is signed by " + alice->id() +
                ", not the group's signing key, which alone starts a chain");
}

TEST_F(Membership, ARecordIsForOneGroupOnly) {
  create_group();
  auto bob = make_person("bob@example.com");
  publish(*bob);
  TestGroup other("other@example.com", server.url());
  other.chain = MembershipState(other.id());
  client(*alice).create_group({other.token(),
                               {other.entry_for(*alice, super_privs())},
                               {other.record(RecordOp::genesis, {change(*alice, super_privs())})}});
  // A record of `other` replayed into `group`.
  std::string foreign = other.record(RecordOp::add, {change(*bob, recrypt_only())});
  EXPECT_EQ(refusal_of([&] {
              client(*alice).add_member(
                  {group->name, {group->entry_for(*bob, recrypt_only())}, {foreign}});
            }),
            "membership record 1 is for another group");
}

TEST_F(Membership, ReadMembershipIsForActiveMembers) {
  create_group();
  auto bob = member("bob@example.com");
  client(*alice).update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(refusal_of([&] { client(*bob).read_membership({group->id()}); }),
            "ReadMembership needs an ACTIVE member of the group");
  EXPECT_EQ(served().length(), 3u);
}

TEST_F(Membership, GroupProfilesEnterOnlyWithTheirGroup) {
  // mallory publishes a group profile under the name alice is about to create.
  auto mallory = make_person("mallory@example.com");
  publish(*mallory);
  TestGroup squatter(group->name, server.url());
  auto c = client(*mallory);
  EXPECT_EQ(refusal_of([&] {
              c.publish_profile({squatter.token()}, jws::software_signer(squatter.signing),
                                squatter.id());
            }),
            "a group profile enters the service only with its group (CreateGroup, UpdateGroup, "
            "RotateGroupKey), "
            "signed by the group's own key");
  create_group();
  auto found = service::verify_group_profile(c.get_profile({"", "", group->name}).profile);
  EXPECT_EQ(found.id(), group->id());
}

TEST_F(Membership, AGroupFromBeforeChainsIsMigratedOnce) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = make_person("carol@example.com");
  publish(*carol);
  // As a database from before membership chains holds it: members, no records.
  edit_database("DELETE FROM membership; UPDATE groups_ SET chain_length = 0, chain_head = '';");
  auto c = client(*alice);
  auto request = add_request(*carol);
  EXPECT_EQ(refusal_of([&] { c.add_member(request); }),
            "group " + group->name +
                " has no membership chain yet: an administrator's agent must migrate it first");

  // The migration must state the members as they are: bob is no SUPER.
  group->chain = MembershipState(group->id());
  std::vector<std::string> wrong{group->record(RecordOp::genesis, {change(*alice, super_privs())}),
                                 group->record(RecordOp::add, {change(*bob, super_privs())})};
  EXPECT_EQ(refusal_of([&] {
              c.migrate_membership({group->id(), wrong});
            }),
            "the migration does not state member " + bob->id() + " as the group holds it");
  group->chain = MembershipState(group->id());
  std::vector<std::string> right{group->record(RecordOp::genesis, {change(*alice, super_privs())}),
                                 group->record(RecordOp::add, {change(*bob, recrypt_only())})};
  EXPECT_EQ(c.migrate_membership({group->id(), right}).length, 2u);
  EXPECT_EQ(refusal_of([&] {
              c.migrate_membership({group->id(), right});
            }),
            "group " + group->name + " has a membership chain already");
  c.add_member(add_request(*carol));
  EXPECT_EQ(served().members().size(), 3u);
}

TEST_F(Membership, AMemberLeavesWithoutAnAdministrator) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = member("carol@example.com");
  // bob's own request, with his own record revoking him: no ADMIN needed.
  client(*bob).update_member(update_request(*bob, MemberStatus::revoked, std::nullopt, bob.get()));
  EXPECT_EQ(served().members().at(bob->id()).status, MemberStatus::revoked);
  // carol may not revoke anyone else, nor change her own privileges while leaving.
  EXPECT_EQ(refusal_of([&] {
              client(*carol).update_member(
                  update_request(*alice, MemberStatus::revoked, std::nullopt, carol.get()));
            }),
            "this transaction needs an ACTIVE member with ADMIN privilege");
  auto own = update_request(*carol, MemberStatus::revoked, std::nullopt, carol.get());
  own.privileges = admin_privs();
  EXPECT_EQ(refusal_of([&] { client(*carol).update_member(own); }),
            "this transaction needs an ACTIVE member with ADMIN privilege");
  // The last SUPER is refused by the service as by every agent.
  EXPECT_EQ(refusal_of([&] {
              client(*alice).update_member(
                  update_request(*alice, MemberStatus::revoked, std::nullopt, alice.get()));
            }),
            "the last ACTIVE SUPER administrator cannot leave the group or step down: hand the "
            "group over first (`recrypt group handover`)");
  EXPECT_EQ(served().members().at(carol->id()).status, MemberStatus::active);
}

}  // namespace
}  // namespace recrypt::test
