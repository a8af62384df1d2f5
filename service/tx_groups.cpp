// CreateGroup, UpdateGroup, GetGroup, RotateGroupKey and ReadAudit.
#include <algorithm>
#include <set>

#include "protocol/jwk.hpp"
#include "service/transactions.hpp"

namespace recrypt::service::tx {
namespace {

const std::string& caller_id(const Caller& c) { return c.signer.profile_id; }

}  // namespace

GroupRecord record_of(const GroupProfile& p, const std::string& token) {
  return {p.id(), p.name, token, p.key_id(), p.all_key_ids()};
}

// The group's profile, stored with its signing key as a signer: whoever holds that key may
// sign requests for the group itself (is_group_key), as an escrow's recovery does.
void put_group_profile(StoreWriter& w, const GroupProfile& p, const std::string& token) {
  w.put_profile({p.id(), "group", p.name, token},
                {{p.id(), p.id(), jwk::from_public(p.signing_key).dump(), ""}});
}

namespace {

// A new profile for an existing group: same signing key (so the same id), a name nobody else
// uses.
GroupProfile checked_successor(StoreReader& r, const GroupRecord& g, const std::string& token) {
  GroupProfile p = verify_group_profile(token);
  if (p.id() != g.id)
    refuse(status::kConflict, "the new group profile is not signed by the group's signing key");
  if (p.name != g.name) {
    if (auto other = r.group(p.name); other && other->id != g.id)
      refuse(status::kConflict, "a group with this name is hosted here");
  }
  return p;
}

}  // namespace

GroupProfile checked_rotation(StoreReader& r, const GroupRecord& g, const std::string& token) {
  GroupProfile p = checked_successor(r, g, token);
  std::vector<std::string> ids = p.all_key_ids();
  if (p.key_id() == g.key_id) refuse(status::kConflict, "a rotation needs a new group key");
  // Old documents stay readable only if every key the group had is still listed.
  for (const std::string& old : g.key_ids)
    if (std::find(ids.begin(), ids.end(), old) == ids.end())
      refuse(status::kConflict,
             "the new group profile must list every earlier key among its past keys");
  return p;
}

RotationStart start_rotation(StoreReader& r, const Caller& caller, const std::string& group,
                             const std::string& profile, AuditNote& note) {
  GroupRecord g = require_group(r, group);
  note.group = g.id;
  require_admin(r, g, caller);
  require_chain(g);
  GroupProfile p = checked_rotation(r, g, profile);
  note.key_id = p.key_id();
  return {std::move(g), std::move(p)};
}

GroupRecord require_group(StoreReader& r, const std::string& ref) {
  auto g = r.group(ref);
  if (!g) refuse(status::kNotFound, "no such group");
  return *g;
}

bool is_group_key(const GroupRecord& g, const Caller& caller) { return caller_id(caller) == g.id; }

bool is_admin(StoreReader& r, const GroupRecord& g, const Caller& caller) {
  // The group's own signing key may sign any membership record (check_record), so it is the
  // group's first administrator on the wire as well.
  if (is_group_key(g, caller)) return true;
  auto m = r.member(g.id, caller_id(caller));
  return m && m->status == MemberStatus::active && (m->privileges.admin || m->privileges.super);
}

void require_admin(StoreReader& r, const GroupRecord& g, const Caller& caller) {
  if (!is_admin(r, g, caller))
    refuse(status::kUnauthorized, "this transaction needs an ACTIVE member with ADMIN privilege");
}

Json create_group(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                  const CreateGroupRequest& req, AuditNote& note) {
  if (caller.signer.profile_id.empty()) refuse(status::kUnauthorized, "unknown signer");
  auto creator = w.profile_by_id(caller_id(caller));
  if (!creator || creator->type != "personal")
    refuse(status::kUnauthorized,
           "CreateGroup must be signed by a key of a published personal profile");
  GroupProfile p = verify_group_profile(req.profile);
  note.group = p.id();
  note.key_id = p.key_id();
  if (w.group(p.id()) || w.group(p.name))
    refuse(status::kConflict, "a group with this name or id exists");
  if (auto other = w.profile_by_name("group", p.name); other && other->id != p.id())
    refuse(status::kConflict, "a group profile with this name exists");
  GroupRecord g = record_of(p, req.profile);
  w.insert_group(g);
  put_group_profile(w, p, req.profile);

  // The genesis record, signed by the group's own key (check_record), names the first members;
  // the creator must be among them as an ACTIVE administrator, or nobody could run the group.
  std::vector<SignedRecord> records =
      append_records(w, g, req.records, {RecordOp::genesis, RecordOp::add});
  if (records.front().record.key_id != g.key_id)
    refuse(status::kMalformed, "the genesis record names another key than the group profile");
  auto creator_entry = w.member(g.id, caller_id(caller));
  if (!creator_entry || creator_entry->status != MemberStatus::active ||
      !(creator_entry->privileges.admin || creator_entry->privileges.super))
    refuse(status::kMalformed,
           "the genesis record must name the creator as an ACTIVE administrator");
  check_entries_match(records, req.entries);
  for (const MemberEntry& e : req.entries) store_entry_key(w, vault, g, e);
  return CreateGroupResponse{g.id, g.key_id}.to_json();
}

Json update_group(StoreWriter& w, const Caller& caller, const UpdateGroupRequest& req,
                  AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  GroupProfile p = checked_successor(w, g, req.profile);
  if (p.key_id() != g.key_id)
    refuse(status::kConflict, "UpdateGroup keeps the group key; change it with RotateGroupKey");
  GroupRecord updated = record_of(p, req.profile);
  w.update_group(updated);
  put_group_profile(w, p, req.profile);
  return UpdateGroupResponse{g.id}.to_json();
}

Json get_group(StoreReader& r, const Caller& caller, const GetGroupRequest& req, AuditNote& note) {
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  // Members may see who else is in the group, unless its policy hides them from each other;
  // outsiders and suspended members may not.
  auto me = r.member(g.id, caller_id(caller));
  if (!is_group_key(g, caller) && (!me || me->status != MemberStatus::active))
    refuse(status::kUnauthorized, "GetGroup needs an ACTIVE member of the group");
  const bool admin = is_admin(r, g, caller);
  GetGroupResponse out{g.id, g.name, g.key_id, g.token, {}};
  auto summary = [&](const MemberRecord& m) {
    return MemberSummary{m.member_id, m.account, m.privileges, m.status,
                         r.member_key_ids(g.id, m.member_id)};
  };
  if (g.policy.hidden_membership && !admin) {
    // Only the caller's own entry, on the one page, whatever the cursor.
    if (me && req.after.empty()) out.members.push_back(summary(*me));
  } else {
    // One page, read along the members table's key: a group of any size costs a page. One
    // row past the page says whether there is a next one.
    std::uint64_t limit = req.limit != 0 ? req.limit : GetGroupRequest::kDefaultLimit;
    std::vector<MemberRecord> rows = r.members_after(g.id, req.after, limit + 1);
    if (rows.size() > limit) {
      rows.resize(limit);
      out.next = rows.back().member_id;
    }
    for (const MemberRecord& m : rows) out.members.push_back(summary(m));
  }
  out.hidden_membership = g.policy.hidden_membership;
  // The chain's head, which says how many changes there were but not of whom, lets a member
  // who may not read the chain sign the record of its own leaving.
  out.chain_length = g.chain_length;
  out.chain_head = g.chain_head;
  if (admin) out.policy = g.policy;
  return out.to_json();
}

Json set_policy(StoreWriter& w, const Caller& caller, const SetPolicyRequest& req,
                AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  for (const auto& [member, quota] : req.policy.member_quotas)
    if (!w.member(g.id, member))
      refuse(status::kNotFound, "a member quota names " + member + ", not a member of the group");
  for (const std::string& key : req.policy.review_keys)
    if (std::find(g.key_ids.begin(), g.key_ids.end(), key) == g.key_ids.end())
      refuse(status::kNotFound, "review key " + key + " is not a key of the group");
  w.put_policy(g.id, req.policy);
  return SetPolicyResponse{g.id, req.policy}.to_json();
}

Json rotate_group_key(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                      const RotateGroupKeyRequest& req, AuditNote& note) {
  auto [g, p] = start_rotation(w, caller, req.group, req.profile, note);
  std::vector<SignedRecord> records = append_records(w, g, req.records, {RecordOp::rotate});
  if (records.size() != 1 || records.front().record.key_id != p.key_id())
    refuse(status::kMalformed, "RotateGroupKey carries one rotate record naming the new group key");
  GroupRecord updated = record_of(p, req.profile);
  w.update_group(updated);
  put_group_profile(w, p, req.profile);
  std::set<std::string> entered;
  for (const MemberEntry& e : req.entries) entered.insert(e.member);
  store_carried_profiles(w, req.profiles, entered);
  for (const MemberEntry& e : req.entries) w.put_key(rotation_entry_key(w, vault, updated, e));
  return RotateGroupKeyResponse{updated.key_id}.to_json();
}

Json read_audit(StoreReader& r, const Caller& caller, const ReadAuditRequest& req,
                AuditNote& note) {
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  require_admin(r, g, caller);
  if (!req.agreements.empty())
    return ReadAuditResponse{r.audit_of_agreements(g.id, req.agreements, req.after, req.limit)}
        .to_json();
  return ReadAuditResponse{r.audit(g.id, req.after, req.limit)}.to_json();
}

}  // namespace recrypt::service::tx
