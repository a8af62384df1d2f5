// A group key rotation in steps (docs/SERVICE.md §5): BeginRotation checks the new group
// profile and the rotate record against the group as it is and puts them aside;
// AddRotationEntries stages the members' entries of the new key a page at a time, where no
// reader looks; CommitRotation checks the record against the chain again (a membership change
// meanwhile refuses it: the administrator begins again), requires an entry for every member
// not revoked, and applies the record, the profile and every staged entry in its one
// transaction. Until the commit the group serves its old key and nothing else of it changes.
#include <set>

#include "service/transactions.hpp"

namespace recrypt::service::tx {
namespace {

RotationRecord require_rotation(StoreReader& r, const GroupRecord& g, const std::string& key_id) {
  auto rotation = r.rotation(g.id);
  if (!rotation)
    refuse(status::kNotFound, "no rotation of group " + g.name + " is under way (BeginRotation)");
  if (rotation->key_id != key_id)
    refuse(status::kConflict,
           "the rotation under way is to another key (" + rotation->key_id + ")");
  return *rotation;
}

}  // namespace

Json begin_rotation(StoreWriter& w, const Caller& caller, const BeginRotationRequest& req,
                    AuditNote& note) {
  auto [g, p] = start_rotation(w, caller, req.group, req.profile, note);
  SignedRecord s = parse_record(req.record);
  if (s.record.op != RecordOp::rotate || s.record.key_id != p.key_id())
    refuse(status::kMalformed, "BeginRotation carries one rotate record naming the new group key");
  // Checked now against the chain's head, and again at the commit: it is applied only then.
  check_record(s, chain_view(w, g));
  // The same rotation begun again (its agent restarted) goes on with what it staged; any
  // other replaces it, and its staged entries go.
  if (auto under_way = w.rotation(g.id); under_way && under_way->key_id == p.key_id() &&
                                         under_way->record == req.record &&
                                         under_way->profile == req.profile)
    return BeginRotationResponse{p.key_id(), w.rotation_staged(g.id)}.to_json();
  w.put_rotation({g.id, p.key_id(), req.profile, req.record, unix_now()});
  return BeginRotationResponse{p.key_id(), 0}.to_json();
}

Json add_rotation_entries(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                          const AddRotationEntriesRequest& req, AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  RotationRecord rotation = require_rotation(w, g, req.key_id);
  note.key_id = rotation.key_id;
  // The entries are checked as the commit's group will hold them: its new key current.
  GroupRecord next = record_of(verify_group_profile(rotation.profile), rotation.profile);
  std::set<std::string> entered;
  for (const MemberEntry& e : req.entries) entered.insert(e.member);
  store_carried_profiles(w, req.profiles, entered);
  for (const MemberEntry& e : req.entries)
    w.stage_rotation_key(rotation_entry_key(w, vault, next, e));
  return AddRotationEntriesResponse{w.rotation_staged(g.id)}.to_json();
}

Json commit_rotation(StoreWriter& w, const Caller& caller, const CommitRotationRequest& req,
                     AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  RotationRecord rotation = require_rotation(w, g, req.key_id);
  note.key_id = rotation.key_id;
  // Everything BeginRotation checked, again: the group may have changed since. A membership
  // change moved the chain's head past the record: the rotation starts over, with entries for
  // the members as they are now.
  SignedRecord s = parse_record(rotation.record);
  if (s.record.seq != g.chain_length || s.record.prev != g.chain_head)
    refuse(status::kConflict, "the membership of group " + g.name +
                                  " changed since the rotation began: abandon it and rotate again");
  GroupProfile p = checked_rotation(w, g, rotation.profile);
  if (auto missing = w.rotation_unstaged_member(g.id))
    refuse(status::kConflict, "the rotation has no entry of the new key for member " + *missing +
                                  ": add it before the commit");
  std::uint64_t entries = w.rotation_staged(g.id);
  append_records(w, g, {rotation.record}, {RecordOp::rotate});
  GroupRecord updated = record_of(p, rotation.profile);
  w.update_group(updated);
  put_group_profile(w, p, rotation.profile);
  w.commit_rotation_keys(g.id);
  return CommitRotationResponse{updated.key_id, entries}.to_json();
}

Json abandon_rotation(StoreWriter& w, const Caller& caller, const AbandonRotationRequest& req,
                      AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  auto rotation = w.rotation(g.id);
  if (!rotation) return AbandonRotationResponse{}.to_json();
  note.key_id = rotation->key_id;
  w.drop_rotation(g.id);
  return AbandonRotationResponse{rotation->key_id}.to_json();
}

}  // namespace recrypt::service::tx
