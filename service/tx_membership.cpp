// The membership chain on the service's side. The members table is the chain's state: every
// record a request carries is checked against the chain's head and that table by the rules
// every agent applies (check_record), then applied to both in the request's transaction, so
// that no change of membership is stored unless an administrator signed it, and the chain the
// service serves stays linear.
#include <algorithm>
#include <map>
#include <set>

#include "service/transactions.hpp"

namespace recrypt::service::tx {

ChainView chain_view(StoreReader& r, const GroupRecord& g) {
  std::optional<ChainHead> head;
  if (g.chain_length > 0) head = ChainHead{g.chain_length - 1, g.chain_head};
  return {g.id, head, g.key_id,
          [&r, id = g.id](const std::string& member) -> std::optional<MemberState> {
            auto m = r.member(id, member);
            if (!m) return std::nullopt;
            return MemberState{m->account, m->privileges, m->status};
          },
          [&r, id = g.id] { return r.active_supers(id); }};
}

namespace {

void apply_record(StoreWriter& w, GroupRecord& g, const SignedRecord& s) {
  const MembershipRecord& r = s.record;
  for (const MemberChange& m : r.members) {
    MemberRecord row{g.id, m.member, m.state.account, m.state.privileges, m.state.status};
    if (r.op == RecordOp::genesis || r.op == RecordOp::add) {
      auto profile = w.profile_by_id(m.member);
      if (!profile || profile->type != "personal")
        refuse(status::kNotFound, "member " + m.member + " has no published personal profile here");
      w.insert_member(row);
    } else if (r.op == RecordOp::update) {
      w.update_member(row);
      // A member no longer an administrator (or revoked) is handed the group's secrets no more.
      // What its agent already fetched it keeps: docs/SECURITY.md says what then protects.
      if (!(row.privileges.admin || row.privileges.super) || row.status == MemberStatus::revoked)
        w.clear_admin_keys(g.id, m.member);
    }
  }
  // A rotation's new key enters with the group profile that RotateGroupKey stores.
  w.append_membership(g.id, r.seq, s.token, s.hash);
  g.chain_length = r.seq + 1;
  g.chain_head = s.hash;
}

}  // namespace

void require_chain(const GroupRecord& g) {
  if (g.chain_length == 0)
    refuse(status::kConflict,
           "group " + g.name +
               " has no membership chain yet: an administrator's agent must migrate it first");
}

std::vector<SignedRecord> append_records(StoreWriter& w, GroupRecord& g,
                                         const std::vector<std::string>& tokens,
                                         std::initializer_list<RecordOp> allowed) {
  if (tokens.empty())
    refuse(status::kMalformed, "the request carries no signed membership record of its change");
  std::vector<SignedRecord> out;
  for (const std::string& token : tokens) {
    SignedRecord s = parse_record(token);
    if (std::find(allowed.begin(), allowed.end(), s.record.op) == allowed.end())
      refuse(status::kMalformed, "this transaction does not carry membership " +
                                     std::string(to_string(s.record.op)) + " records");
    check_record(s, chain_view(w, g));
    apply_record(w, g, s);
    out.push_back(std::move(s));
  }
  return out;
}

void check_entries_match(const std::vector<SignedRecord>& records,
                         const std::vector<MemberEntry>& entries) {
  std::map<std::string, const MemberState*> added;
  for (const SignedRecord& s : records)
    if (s.record.op == RecordOp::genesis || s.record.op == RecordOp::add)
      for (const MemberChange& m : s.record.members) added[m.member] = &m.state;
  std::set<std::string> seen;
  for (const MemberEntry& e : entries) {
    auto it = added.find(e.member);
    if (it == added.end())
      refuse(status::kMalformed, "member entry for " + e.member + " has no membership record");
    if (!seen.insert(e.member).second)
      refuse(status::kMalformed, "two member entries for " + e.member);
    if (e.privileges != it->second->privileges || e.status != it->second->status)
      refuse(status::kMalformed,
             "member entry for " + e.member + " disagrees with its membership record");
  }
  if (seen.size() != added.size())
    refuse(status::kMalformed, "every member a membership record adds comes with its key material");
}

Json read_membership(StoreReader& r, const Caller& caller, const ReadMembershipRequest& req,
                     AuditNote& note) {
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  auto me = r.member(g.id, caller.signer.profile_id);
  if (!is_group_key(g, caller) && (!me || me->status != MemberStatus::active))
    refuse(status::kUnauthorized, "ReadMembership needs an ACTIVE member of the group");
  if (g.policy.hidden_membership && !is_admin(r, g, caller))
    refuse(status::kUnauthorized, "the membership of group " + g.name +
                                      " is hidden from its members: only an ADMIN "
                                      "reads its chain");
  return ReadMembershipResponse{g.id, g.chain_length, r.membership(g.id, req.from, req.limit)}
      .to_json();
}

Json get_admin_keys(StoreReader& r, const Caller& caller, const GetAdminKeysRequest& req,
                    AuditNote& note) {
  if (caller.signer.encryption_id.empty())
    refuse(status::kUnauthorized,
           "GetAdminKeys must be signed by a device key listed in a personal profile");
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  note.key_id = g.key_id;
  auto me = r.member(g.id, caller.signer.profile_id);
  if (!me) refuse(status::kUnauthorized, "GetAdminKeys: the signer is not a member of the group");
  if (me->status != MemberStatus::active)
    refuse(status::kUnauthorized,
           "GetAdminKeys needs an ACTIVE member, and this one is " + to_string(me->status));
  if (!(me->privileges.admin || me->privileges.super))
    refuse(status::kUnauthorized,
           "GetAdminKeys needs an ADMIN or SUPER member, and this member's privileges are " +
               privileges_to_json(me->privileges).dump());
  auto k = r.key(g.id, me->member_id, g.key_id);
  Json packages = k ? Json::parse(k->admin_keys, nullptr, false) : Json();
  auto package = packages.is_object() ? packages.find(caller.signer.encryption_id) : packages.end();
  if (!k || !packages.is_object() || package == packages.end() || !package->is_string())
    refuse(status::kNotFound,
           "no administrator sent the group's current key to this device; an administrator "
           "adds it with group admin add");
  return GetAdminKeysResponse{g.id, g.key_id, package->get<std::string>()}.to_json();
}

Json migrate_membership(StoreWriter& w, const Caller& caller, const MigrateMembershipRequest& req,
                        AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  if (g.chain_length != 0)
    refuse(status::kConflict, "group " + g.name + " has a membership chain already");
  // The records must state what the members table already holds: a migration changes no one's
  // membership, it only puts the administrator's signature on it.
  MembershipState chain(g.id);
  std::vector<SignedRecord> records;
  for (const std::string& token : req.records) {
    records.push_back(parse_record(token));
    if (records.back().record.op != RecordOp::genesis && records.back().record.op != RecordOp::add)
      refuse(status::kMalformed, "a migration carries a genesis record and add records only");
    chain.append(records.back());
  }
  if (chain.key_id() != g.key_id)
    refuse(status::kConflict, "the migration's genesis names another group key");
  std::vector<MemberRecord> rows = w.members(g.id);
  if (rows.size() != chain.members().size())
    refuse(status::kConflict, "the migration names " + std::to_string(chain.members().size()) +
                                  " members, the group has " + std::to_string(rows.size()));
  for (const MemberRecord& m : rows) {
    auto it = chain.members().find(m.member_id);
    if (it == chain.members().end() ||
        !(it->second == MemberState{m.account, m.privileges, m.status}))
      refuse(status::kConflict,
             "the migration does not state member " + m.member_id + " as the group holds it");
  }
  for (const SignedRecord& s : records) w.append_membership(g.id, s.record.seq, s.token, s.hash);
  return MigrateMembershipResponse{chain.length()}.to_json();
}

}  // namespace recrypt::service::tx
