// A key rotation in steps: BeginRotation, pages of AddRotationEntries, CommitRotation. Until
// the commit the group serves its old key and no member sees a staged entry; a rotation is
// resumed by beginning it again, replaced by another, abandoned, and refused at its commit
// when an entry is missing or the membership changed meanwhile.
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::AbandonRotationRequest;
using service::AddRotationEntriesRequest;
using service::BeginRotationRequest;
using service::CommitRotationRequest;

class RotationSteps : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
    carol = member("carol@example.com");
    old_key = group->key_id();
  }

  // A new group key, and the BeginRotation that states it (its rotate record signed by the
  // group's key against the chain as the service holds it now).
  BeginRotationRequest next_rotation() {
    sync_chain();
    group->rotate();
    return {group->name, group->token(), group->record(service::RecordOp::rotate)};
  }
  AddRotationEntriesRequest entries(std::vector<const TestPerson*> people) {
    AddRotationEntriesRequest r{group->name, group->key_id(), {}};
    for (const TestPerson* p : people) r.entries.push_back(group->entry_for(*p, recrypt_only()));
    return r;
  }
  std::size_t key_ids_of(const TestPerson& p) {
    for (const auto& m : client(*alice).get_group({group->name}).members)
      if (m.member == p.id()) return m.key_ids.size();
    return 0;
  }
  std::string recrypt_outcome(const TestPerson& p, const std::string& key_id) {
    Scalar t = Scalar::random(Curve::p256());
    return outcome_of([&] { client(p).recrypt_data({group->name, key_id, t.public_point()}); });
  }

  std::unique_ptr<TestPerson> bob, carol;
  std::string old_key;
};

TEST_F(RotationSteps, NothingChangesForMembersUntilTheCommitAppliesEverything) {
  auto c = client(*alice);
  auto begun = c.begin_rotation(next_rotation());
  EXPECT_EQ(begun.key_id, group->key_id());
  EXPECT_EQ(begun.staged, 0u);
  EXPECT_EQ(c.add_rotation_entries(entries({alice.get(), bob.get()})).staged, 2u);
  // Half-way: the old key still serves, the new one is nobody's yet.
  EXPECT_EQ(c.get_group({group->name}).key_id, old_key);
  EXPECT_EQ(key_ids_of(*bob), 1u);
  EXPECT_EQ(recrypt_outcome(*bob, old_key), "201 OK");
  EXPECT_EQ(recrypt_outcome(*bob, group->key_id()),
            "404 no recryption key for this member and key_id");
  // Carol has no entry yet: no commit.
  EXPECT_EQ(outcome_of([&] {
              c.commit_rotation({group->name, group->key_id()});
            }),
            "409 the rotation has no entry of the new key for member " + carol->id() +
                ": add it before the commit");
  EXPECT_EQ(c.add_rotation_entries(entries({carol.get()})).staged, 3u);
  auto done = c.commit_rotation({group->name, group->key_id()});
  EXPECT_EQ(done.key_id, group->key_id());
  EXPECT_EQ(done.entries, 3u);
  EXPECT_EQ(c.get_group({group->name}).key_id, group->key_id());
  EXPECT_EQ(key_ids_of(*bob), 2u);
  EXPECT_EQ(recrypt_outcome(*bob, group->key_id()), "201 OK");
  EXPECT_EQ(recrypt_outcome(*carol, old_key), "201 OK");
  // The rotate record is the chain's head now, and the rotation is over.
  sync_chain();
  EXPECT_EQ(group->chain.key_id(), group->key_id());
  EXPECT_EQ(outcome_of([&] {
              c.commit_rotation({group->name, group->key_id()});
            }),
            "404 no rotation of group friends@example.com is under way (BeginRotation)");
}

TEST_F(RotationSteps, AnAbandonedRotationLeavesTheGroupAsItWas) {
  auto c = client(*alice);
  BeginRotationRequest begin = next_rotation();
  c.begin_rotation(begin);
  c.add_rotation_entries(entries({alice.get(), bob.get(), carol.get()}));
  EXPECT_EQ(c.abandon_rotation({group->name}).key_id, group->key_id());
  EXPECT_EQ(c.abandon_rotation({group->name}).key_id, "");
  EXPECT_EQ(outcome_of([&] {
              c.commit_rotation({group->name, group->key_id()});
            }),
            "404 no rotation of group friends@example.com is under way (BeginRotation)");
  EXPECT_EQ(c.get_group({group->name}).key_id, old_key);
  EXPECT_EQ(key_ids_of(*bob), 1u);
  // Begun again, it starts from nothing: the abandoned entries are gone.
  EXPECT_EQ(c.begin_rotation(begin).staged, 0u);
}

TEST_F(RotationSteps, BeginningTheSameRotationAgainResumesItAnotherReplacesIt) {
  auto c = client(*alice);
  BeginRotationRequest first = next_rotation();
  std::string first_key = group->key_id();
  c.begin_rotation(first);
  c.add_rotation_entries(entries({alice.get(), bob.get()}));
  // The administrator's agent died and begins again: what it staged is still there.
  EXPECT_EQ(c.begin_rotation(first).staged, 2u);
  // Another rotation (another new key) replaces it, and the first can no longer commit.
  BeginRotationRequest second = next_rotation();
  EXPECT_EQ(c.begin_rotation(second).staged, 0u);
  EXPECT_EQ(outcome_of([&] {
              c.commit_rotation({group->name, first_key});
            }),
            "409 the rotation under way is to another key (" + group->key_id() + ")");
  c.add_rotation_entries(entries({alice.get(), bob.get(), carol.get()}));
  EXPECT_EQ(c.commit_rotation({group->name, group->key_id()}).entries, 3u);
  EXPECT_EQ(c.get_group({group->name}).key_id, group->key_id());
}

TEST_F(RotationSteps, AMembershipChangeMidwayRefusesTheCommit) {
  auto c = client(*alice);
  BeginRotationRequest begin = next_rotation();
  c.begin_rotation(begin);
  c.add_rotation_entries(entries({alice.get(), bob.get(), carol.get()}));
  // Meanwhile another administrator adds a member (under the old key).
  Scalar next = std::move(group->keys.back());
  group->keys.pop_back();
  auto dave = member("dave@example.com");
  group->keys.push_back(std::move(next));
  EXPECT_EQ(outcome_of([&] {
              c.commit_rotation({group->name, group->key_id()});
            }),
            "409 the membership of group friends@example.com changed since the rotation "
            "began: abandon it and rotate again");
  EXPECT_EQ(c.get_group({group->name}).key_id, old_key);
  EXPECT_EQ(recrypt_outcome(*dave, old_key), "201 OK");
}

TEST_F(RotationSteps, ARotationBeginsOnlyToANewKey) {
  sync_chain();
  BeginRotationRequest same_key{group->name, group->token(),
                                group->record(service::RecordOp::rotate)};
  EXPECT_EQ(outcome_of([&] { client(*alice).begin_rotation(same_key); }),
            "409 a rotation needs a new group key");
}

TEST_F(RotationSteps, EntriesAreCheckedAsTheNewKeysAndOnlyAnAdministratorRotates) {
  auto c = client(*alice);
  BeginRotationRequest begin = next_rotation();
  EXPECT_EQ(outcome_of([&] { client(*bob).begin_rotation(begin); }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
  EXPECT_EQ(outcome_of([&] { c.add_rotation_entries(entries({bob.get()})); }),
            "404 no rotation of group friends@example.com is under way (BeginRotation)");
  c.begin_rotation(begin);
  AddRotationEntriesRequest old_key_entry = entries({bob.get()});
  old_key_entry.entries[0].key_id = old_key;
  old_key_entry.key_id = group->key_id();
  EXPECT_EQ(outcome_of([&] { c.add_rotation_entries(old_key_entry); }),
            "400 rotation entries must be for the new group key");
  auto stranger = make_person("eve@example.com");
  publish(*stranger);
  EXPECT_EQ(outcome_of([&] { c.add_rotation_entries(entries({stranger.get()})); }),
            "404 rotation entry for a member that is not in the group");
  EXPECT_EQ(outcome_of([&] { client(*bob).abandon_rotation({group->name}); }),
            "401 this transaction needs an ACTIVE member with ADMIN privilege");
}

}  // namespace
}  // namespace recrypt::test
