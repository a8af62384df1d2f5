// Profiles carried by member transactions (SERVICE.md §5, `profiles`): a member whose home is
// another service is added with the profile the administrator fetched there, and may then sign
// requests here with its devices; a carried profile is checked as a published one is.
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

using CarriedProfiles = ServiceTest;

TEST_F(CarriedProfiles, AMemberFromElsewhereComesWithTheirProfile) {
  create_group();
  auto bob = make_person("bob@example.net");  // published at his home service, not here
  auto c = client(*alice);
  EXPECT_EQ(outcome_of([&] { c.add_member(add_request(*bob)); }),
            "404 member " + bob->id() + " has no published personal profile here");
  auto request = add_request(*bob);
  request.profiles = {bob->token()};
  c.add_member(request);
  // Bob's device is known here now: it reads the chain as any member's does.
  EXPECT_EQ(client(*bob).read_membership({group->id()}).length, 2u);
  EXPECT_EQ(c.get_profile({bob->id(), "", ""}).profile, request.profiles.front());
}

TEST_F(CarriedProfiles, OnlyTheProfilesOfTheRequestsMembers) {
  create_group();
  auto bob = make_person("bob@example.net");
  auto carol = make_person("carol@example.net");
  auto request = add_request(*bob);
  request.profiles = {bob->token(), carol->token()};
  EXPECT_EQ(outcome_of([&] { client(*alice).add_member(request); }),
            "400 a carried profile must be the personal profile of a member the request names");
  // Nothing of the refused request stayed: neither profile, nor the record.
  EXPECT_EQ(status_of([&] { client(*alice).get_profile({bob->id(), "", ""}); }), 404);
  EXPECT_EQ(status_of([&] { client(*alice).get_profile({carol->id(), "", ""}); }), 404);
  request.profiles = {"not a profile"};
  EXPECT_EQ(status_of([&] { client(*alice).add_member(request); }), 400);
}

TEST_F(CarriedProfiles, TheConflictChecksOfPublishProfile) {
  create_group();
  // Another key under an account name this service knows already.
  auto impostor = make_person("alice@example.com");
  auto request = add_request(*impostor);
  request.profiles = {impostor->token()};
  EXPECT_EQ(outcome_of([&] { client(*alice).add_member(request); }),
            "409 another profile already uses this account name");
}

TEST_F(CarriedProfiles, ResplitAndRotationCarryTheCurrentProfile) {
  create_group();
  auto bob = make_person("bob@example.net");
  auto add = add_request(*bob);
  add.profiles = {bob->token()};
  auto c = client(*alice);
  c.add_member(add);
  auto resplit = resplit_request(*bob);
  resplit.profiles = {alice->token()};  // not the member this UpdateMember is about
  EXPECT_EQ(outcome_of([&] { c.update_member(resplit); }),
            "400 a carried profile must be the personal profile of a member the request names");
  resplit.profiles = {bob->token()};
  c.update_member(resplit);
  group->rotate();
  auto rotate = rotate_request({group->entry_for(*alice, super_privs()),
                                group->entry_for(*bob, recrypt_only(), MemberStatus::active)});
  rotate.profiles = {bob->token()};
  c.rotate_group_key(rotate);
  EXPECT_EQ(client(*bob).read_membership({group->id()}).length, 4u);
}

}  // namespace
}  // namespace recrypt::test
