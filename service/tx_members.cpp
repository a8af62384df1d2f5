// AddMember and UpdateMember, and the checks every member entry goes through.
#include <algorithm>
#include <set>

#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "service/transactions.hpp"

namespace recrypt::service::tx {

std::string seal_context(const std::string& group_id, const std::string& member_id,
                         const std::string& key_id) {
  return "recryptd r|" + group_id + "|" + member_id + "|" + key_id;
}

KeyRecord entry_key(StoreReader& w, const KeyVault& vault, const GroupRecord& g,
                    const MemberEntry& e) {
  if (std::find(g.key_ids.begin(), g.key_ids.end(), e.key_id) == g.key_ids.end())
    refuse(status::kNotFound, "member entry names a key_id that is not a key of this group");
  if (!e.recryption_key) refuse(status::kMalformed, "member entry has no recryption_key");
  if (e.wrapped_shares.empty()) refuse(status::kMalformed, "member entry has no wrapped_shares");
  const SecureString& d = json::secret_string_field(*e.recryption_key, "d", "recryption key");
  SecureBytes r = base64url::decode_secret(std::string_view(d.data(), d.size()));
  Json shares = Json::object();
  for (const auto& [device, wrapped] : e.wrapped_shares) shares[device] = wrapped;
  std::string admin_keys;
  if (!e.admin_keys.empty()) {
    // The group's secrets go only to whom the chain (the members table is its state) makes an
    // administrator, and only to devices that member has a share for.
    auto m = w.member(g.id, e.member);
    if (!m || !(m->privileges.admin || m->privileges.super) || m->status == MemberStatus::revoked)
      refuse(status::kUnauthorized,
             "admin_keys are for a member the membership chain makes "
             "ADMIN or SUPER, and " +
                 e.member + " is not");
    Json packages = Json::object();
    for (const auto& [device, package] : e.admin_keys) {
      if (!e.wrapped_shares.contains(device))
        refuse(status::kMalformed, "admin_keys name a device the entry has no share for");
      packages[device] = package;
    }
    admin_keys = packages.dump();
  }
  return {g.id,          e.member,  e.key_id, vault.seal(r, seal_context(g.id, e.member, e.key_id)),
          shares.dump(), admin_keys};
}

void store_entry_key(StoreWriter& w, const KeyVault& vault, const GroupRecord& g,
                     const MemberEntry& e) {
  w.put_key(entry_key(w, vault, g, e));
}

KeyRecord rotation_entry_key(StoreReader& r, const KeyVault& vault, const GroupRecord& g,
                             const MemberEntry& e) {
  if (e.key_id != g.key_id)
    refuse(status::kMalformed, "rotation entries must be for the new group key");
  auto m = r.member(g.id, e.member);
  if (!m) refuse(status::kNotFound, "rotation entry for a member that is not in the group");
  if (m->status == MemberStatus::revoked)
    refuse(status::kConflict, "rotation entry for a revoked member");
  return entry_key(r, vault, g, e);
}

Json add_member(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                const AddMemberRequest& req, AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  require_chain(g);
  // Stored before the records, whose members must have a profile here.
  std::set<std::string> added;
  for (const MemberEntry& e : req.entries) added.insert(e.member);
  store_carried_profiles(w, req.profiles, added);
  // Who may add whom (ADMIN and SUPER are SUPER's to grant) is the records' rule: check_record.
  std::vector<SignedRecord> records = append_records(w, g, req.records, {RecordOp::add});
  check_entries_match(records, req.entries);
  for (const MemberEntry& e : req.entries) store_entry_key(w, vault, g, e);
  return AddMemberResponse{req.entries.size()}.to_json();
}

Json update_member(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                   const UpdateMemberRequest& req, AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  // A member leaving sends this itself, with no administrator: its own revocation and nothing
  // else. That its record only revokes it is the records' rule (check_record).
  const bool leaving = req.member == caller.signer.profile_id && req.status &&
                       *req.status == MemberStatus::revoked && !req.privileges && !req.entry;
  if (!leaving) require_admin(w, g, caller);
  require_chain(g);
  if (!w.member(g.id, req.member)) refuse(status::kNotFound, "no such member in this group");
  store_carried_profiles(w, req.profiles, {req.member});
  // The change itself is the records': the request's fields must say the same.
  std::vector<SignedRecord> records =
      leaving ? append_records(w, g, req.records, {RecordOp::update})
              : append_records(w, g, req.records, {RecordOp::update, RecordOp::resplit});
  bool updated_by_record = false;
  bool resplit_by_record = false;
  for (const SignedRecord& s : records) {
    if (s.record.members.front().member != req.member)
      refuse(status::kMalformed, "a membership record of this UpdateMember names another member");
    updated_by_record |= s.record.op == RecordOp::update;
    resplit_by_record |=
        s.record.op == RecordOp::resplit && req.entry && s.record.key_id == req.entry->key_id;
  }
  MemberRecord updated = *w.member(g.id, req.member);
  if ((req.status || req.privileges) && !updated_by_record)
    refuse(status::kMalformed, "a change of status or privileges needs its signed update record");
  if ((req.status && *req.status != updated.status) ||
      (req.privileges && *req.privileges != updated.privileges))
    refuse(status::kMalformed,
           "UpdateMember's status or privileges disagree with its membership record");
  if (req.entry) {
    if (req.entry->member != updated.member_id)
      refuse(status::kMalformed, "the entry is for another member");
    if (!resplit_by_record)
      refuse(status::kMalformed, "new key material needs its signed resplit record");
    if (updated.status == MemberStatus::revoked)
      refuse(status::kConflict, "a revoked member gets no new key material");
    store_entry_key(w, vault, g, *req.entry);  // replaces the member's row for that key only
  }
  return UpdateMemberResponse{{updated.member_id, updated.account, updated.privileges,
                               updated.status, w.member_key_ids(g.id, updated.member_id)}}
      .to_json();
}

}  // namespace recrypt::service::tx
