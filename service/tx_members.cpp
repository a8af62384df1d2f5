// AddMember and UpdateMember, and the checks every member entry goes through.
#include <algorithm>

#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "service/transactions.hpp"

namespace recrypt::service::tx {
namespace {

bool holds_power(const Privileges& p) { return p.admin || p.super; }

}  // namespace

std::string seal_context(const std::string& group_id, const std::string& member_id, const std::string& key_id) {
  return "recryptd r|" + group_id + "|" + member_id + "|" + key_id;
}

MemberRecord new_member_record(StoreReader& r, const GroupRecord& g, const MemberEntry& e) {
  auto profile = r.profile_by_id(e.member);
  if (!profile || profile->type != "personal")
    refuse(status::kNotFound, "member " + e.member + " has no published personal profile here");
  if (r.member(g.id, e.member)) refuse(status::kConflict, "member " + e.member + " is already in the group");
  return {g.id, e.member, e.account.empty() ? profile->name : e.account, e.privileges, e.status};
}

void store_entry_key(StoreWriter& w, const KeyVault& vault, const GroupRecord& g, const MemberEntry& e) {
  if (std::find(g.key_ids.begin(), g.key_ids.end(), e.key_id) == g.key_ids.end())
    refuse(status::kNotFound, "member entry names a key_id that is not a key of this group");
  if (!e.recryption_key) refuse(status::kMalformed, "member entry has no recryption_key");
  if (e.wrapped_shares.empty()) refuse(status::kMalformed, "member entry has no wrapped_shares");
  const SecureString& d = json::secret_string_field(*e.recryption_key, "d", "recryption key");
  SecureBytes r = base64url::decode_secret(std::string_view(d.data(), d.size()));
  Json shares = Json::object();
  for (const auto& [device, wrapped] : e.wrapped_shares) shares[device] = wrapped;
  w.put_key({g.id, e.member, e.key_id, vault.seal(r, seal_context(g.id, e.member, e.key_id)), shares.dump()});
}

Json add_member(StoreWriter& w, const KeyVault& vault, const Caller& caller, const AddMemberRequest& req,
                AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  MemberRecord admin = require_admin(w, g, caller);
  for (const MemberEntry& e : req.entries) {
    if (holds_power(e.privileges) && !admin.privileges.super)
      refuse(status::kUnauthorized, "only a SUPER member may grant ADMIN or SUPER");
    w.insert_member(new_member_record(w, g, e));
    store_entry_key(w, vault, g, e);
  }
  return AddMemberResponse{req.entries.size()}.to_json();
}

Json update_member(StoreWriter& w, const KeyVault& vault, const Caller& caller, const UpdateMemberRequest& req,
                   AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  MemberRecord admin = require_admin(w, g, caller);
  auto target = w.member(g.id, req.member);
  if (!target) refuse(status::kNotFound, "no such member in this group");
  MemberRecord updated = *target;
  if (req.privileges) updated.privileges = *req.privileges;
  if (req.status) updated.status = *req.status;
  // ADMIN and SUPER are SUPER's to give and take, and their holders are SUPER's to manage.
  if ((holds_power(target->privileges) || holds_power(updated.privileges)) && !admin.privileges.super)
    refuse(status::kUnauthorized, "only a SUPER member may change an ADMIN or SUPER member");
  if (target->status == MemberStatus::revoked && updated.status != MemberStatus::revoked)
    refuse(status::kConflict, "a revoked member stays revoked; add a key rollover instead");
  if (req.entry) {
    if (req.entry->member != updated.member_id) refuse(status::kMalformed, "the entry is for another member");
    if (updated.status == MemberStatus::revoked) refuse(status::kConflict, "a revoked member gets no new key material");
    store_entry_key(w, vault, g, *req.entry);  // replaces the member's row for that key only
  }
  w.update_member(updated);
  return UpdateMemberResponse{{updated.member_id, updated.account, updated.privileges, updated.status,
                               w.member_key_ids(g.id, updated.member_id)}}
      .to_json();
}

}  // namespace recrypt::service::tx
