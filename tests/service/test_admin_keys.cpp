// Co-administrators' keys at the service: a member entry's admin_keys are stored only for a
// member the chain makes ADMIN or SUPER, handed to that member's own device only while it is
// an ACTIVE administrator (GetAdminKeys), and forgotten when a record takes ADMIN and SUPER
// away or revokes. Each refusal is checked by its words.

#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;
using service::RecordOp;

class AdminKeys : public ServiceTest {
 protected:
  // The entry an administrator's agent sends: a package per device (opaque to the service).
  service::MemberEntry admin_entry(const TestPerson& p, service::Privileges privs) {
    service::MemberEntry e = group->entry_for(p, privs);
    for (const auto& d : p.devices) e.admin_keys[d->encryption_id()] = "package for " + d->name;
    return e;
  }

  std::unique_ptr<TestPerson> admin(const std::string& account) {
    auto p = make_person(account);
    publish(*p);
    service::AddMemberRequest req = add_request(*p, admin_privs());
    req.entries = {admin_entry(*p, admin_privs())};
    client(*alice).add_member(req);
    return p;
  }

  std::string fetch(const TestPerson& p, int device = 0) {
    return client(p, device).get_admin_keys({group->name}).package;
  }

  void edit_database(const std::string& sql) { server.edit_database(sql); }
};

TEST_F(AdminKeys, AnAdministratorsDeviceGetsItsPackage) {
  create_group();
  auto bob = admin("bob@example.com");
  auto got = client(*bob).get_admin_keys({group->name});
  EXPECT_EQ(got.group, group->id());
  EXPECT_EQ(got.key_id, group->key_id());
  EXPECT_EQ(got.package, "package for device0");
}

TEST_F(AdminKeys, RefusedForAMemberTheChainDoesNotMakeAnAdministrator) {
  create_group();
  auto bob = make_person("bob@example.com");
  publish(*bob);
  service::AddMemberRequest req = add_request(*bob);
  req.entries = {admin_entry(*bob, recrypt_only())};
  EXPECT_EQ(outcome_of([&] { client(*alice).add_member(req); }),
            "401 admin_keys are for a member the membership chain makes ADMIN or SUPER, and " +
                bob->id() + " is not");
  // Added without them, bob is a plain member: asking for keys names the rule.
  client(*alice).add_member(add_request(*bob));
  EXPECT_EQ(outcome_of([&] { fetch(*bob); }),
            "401 GetAdminKeys needs an ADMIN or SUPER member, and this member's privileges are "
            "[\"RECRYPT\"]");
  auto carol = make_person("carol@example.com");
  publish(*carol);
  EXPECT_EQ(outcome_of([&] { fetch(*carol); }),
            "401 GetAdminKeys: the signer is not a member of the group");
  // A package is for a device, so a device signs the request.
  EXPECT_EQ(outcome_of([&] { fetch(*alice, -1); }),
            "401 GetAdminKeys must be signed by a device key listed in a personal profile");
}

TEST_F(AdminKeys, AGrantByUpdateAndResplitCarriesThem) {
  create_group();
  auto bob = member("bob@example.com");
  sync_chain();
  service::MemberState next{bob->account, admin_privs(), MemberStatus::active};
  std::string update = group->record(RecordOp::update, {{bob->id(), next}}, alice.get());
  std::string resplit = group->record(RecordOp::resplit, {{bob->id(), next}}, alice.get());
  client(*alice).update_member({group->name,
                                bob->id(),
                                std::nullopt,
                                admin_privs(),
                                admin_entry(*bob, admin_privs()),
                                {update, resplit}});
  EXPECT_EQ(fetch(*bob), "package for device0");
}

TEST_F(AdminKeys, DemotionAndRevocationForgetThem) {
  create_group();
  auto bob = admin("bob@example.com");
  ASSERT_EQ(fetch(*bob), "package for device0");
  client(*alice).update_member(update_request(*bob, std::nullopt, recrypt_only(), alice.get()));
  EXPECT_EQ(outcome_of([&] { fetch(*bob); }),
            "401 GetAdminKeys needs an ADMIN or SUPER member, and this member's privileges are "
            "[\"RECRYPT\"]");
  // ADMIN again, but by a record alone: the keys taken with the privilege did not come back.
  client(*alice).update_member(update_request(*bob, std::nullopt, admin_privs(), alice.get()));
  EXPECT_EQ(outcome_of([&] { fetch(*bob); }),
            "404 no administrator sent the group's current key to this device; an administrator "
            "adds it with group admin add");

  auto carol = admin("carol@example.com");
  ASSERT_EQ(fetch(*carol), "package for device0");
  client(*alice).update_member(
      update_request(*carol, MemberStatus::suspended, std::nullopt, alice.get()));
  EXPECT_EQ(outcome_of([&] { fetch(*carol); }),
            "401 GetAdminKeys needs an ACTIVE member, and this one is SUSPENDED");
  client(*alice).update_member(
      update_request(*carol, MemberStatus::active, std::nullopt, alice.get()));
  EXPECT_EQ(fetch(*carol), "package for device0");  // suspension keeps them
  client(*alice).update_member(
      update_request(*carol, MemberStatus::revoked, std::nullopt, alice.get()));
  EXPECT_EQ(outcome_of([&] { fetch(*carol); }),
            "401 GetAdminKeys needs an ACTIVE member, and this one is REVOKED");
  edit_database("UPDATE members SET status = 'ACTIVE' WHERE member_id = '" + carol->id() + "'");
  EXPECT_EQ(outcome_of([&] { fetch(*carol); }),
            "404 no administrator sent the group's current key to this device; an administrator "
            "adds it with group admin add");
}

TEST_F(AdminKeys, ADatabaseFromBeforeCoAdministratorsIsMigrated) {
  if (RecryptdProcess::on_postgres()) GTEST_SKIP() << "a SQLite schema of version 3";
  create_group();
  auto bob = member("bob@example.com");
  // Back to version 3: what versions 5 and 4 added goes.
  edit_database(
      "DROP TABLE reviews; DROP INDEX audit_agreement; ALTER TABLE audit DROP COLUMN document; "
      "ALTER TABLE audit DROP COLUMN agreement; ALTER TABLE groups_ DROP COLUMN policy; "
      "ALTER TABLE member_keys DROP COLUMN admin_keys; PRAGMA user_version = 3;");
  auto carol = admin("carol@example.com");
  EXPECT_EQ(fetch(*carol), "package for device0");
  EXPECT_EQ(outcome_of([&] { fetch(*bob); }),
            "401 GetAdminKeys needs an ADMIN or SUPER member, and this member's privileges are "
            "[\"RECRYPT\"]");
}

}  // namespace
}  // namespace recrypt::test
