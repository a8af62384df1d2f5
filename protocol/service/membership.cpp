#include "protocol/service/membership.hpp"

#include <algorithm>
#include <set>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/primitives.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::service {
namespace {

constexpr std::string_view kWhat = "membership record";

bool holds_power(const Privileges& p) { return p.admin || p.super; }

RecordOp parse_op(const std::string& s) {
  for (RecordOp op :
       {RecordOp::genesis, RecordOp::add, RecordOp::update, RecordOp::resplit, RecordOp::rotate})
    if (to_string(op) == s) return op;
  refuse(status::kMalformed,
         "membership record op must be genesis, add, update, resplit or rotate");
}

const std::string& bounded(const Json& j, std::string_view key, std::size_t max) {
  const std::string& s = json::string_field(j, key, kWhat);
  if (s.empty() || s.size() > max)
    refuse(status::kMalformed,
           "membership record field \"" + std::string(key) + "\" is empty or too long");
  return s;
}

Json change_to_json(const MemberChange& c) {
  return Json{{"member", c.member},
              {"account", c.state.account},
              {"privileges", privileges_to_json(c.state.privileges)},
              {"status", to_string(c.state.status)}};
}

MemberChange change_from_json(const Json& j) {
  json::require_object(j, kWhat);
  return {bounded(j, "member", 128),
          {bounded(j, "account", kMaxNameLength),
           privileges_from_json(j.contains("privileges") ? j["privileges"] : Json()),
           parse_status(json::string_field(j, "status", kWhat))}};
}

MembershipRecord record_from_json(const Json& p) {
  json::require_object(p, kWhat);
  MembershipRecord r;
  r.group = bounded(p, "group", 128);
  r.seq = json::uint_field(p, "seq", kWhat);
  r.op = parse_op(json::string_field(p, "op", kWhat));
  if (const std::string* prev = json::optional_string(p, "prev", kWhat)) r.prev = *prev;
  if (const std::string* key = json::optional_string(p, "key_id", kWhat)) r.key_id = *key;
  if (const std::string* time = json::optional_string(p, "time", kWhat)) r.time = *time;
  const auto& members = json::array_field(p, "members", kWhat);
  if (members.size() > kMaxGenesisMembers)
    refuse(status::kTooLarge, "membership record names too many members");
  std::set<std::string> seen;
  for (const Json& m : members) {
    r.members.push_back(change_from_json(m));
    if (!seen.insert(r.members.back().member).second)
      refuse(status::kMalformed, "membership record names a member twice");
  }
  // The shape each kind of record has, so that the rules below can rely on it.
  bool one_member = r.op == RecordOp::add || r.op == RecordOp::update || r.op == RecordOp::resplit;
  if (one_member && r.members.size() != 1)
    refuse(status::kMalformed,
           "a membership " + std::string(to_string(r.op)) + " record names exactly one member");
  if (r.op == RecordOp::rotate && !r.members.empty())
    refuse(status::kMalformed, "a membership rotate record names no member");
  if (r.op == RecordOp::genesis && r.members.empty())
    refuse(status::kMalformed, "a membership genesis record names the first members");
  bool needs_key =
      r.op == RecordOp::genesis || r.op == RecordOp::rotate || r.op == RecordOp::resplit;
  if (needs_key && r.key_id.empty())
    refuse(status::kMalformed,
           "a membership " + std::string(to_string(r.op)) + " record names a group key");
  if ((r.seq == 0) != r.prev.empty())
    refuse(status::kMalformed,
           "a membership record names its predecessor's hash, except the first");
  return r;
}

// A member's own update record that only revokes it: how a member leaves a group, which needs
// no administrator. A revoked member has nothing left to give up.
bool revokes_itself(const SignedRecord& s, const std::optional<MemberState>& signer) {
  const MembershipRecord& r = s.record;
  if (r.op != RecordOp::update || !signer || r.members.front().member != s.signer) return false;
  const MemberState& after = r.members.front().state;
  return signer->status != MemberStatus::revoked && after.status == MemberStatus::revoked &&
         after.privileges == signer->privileges && after.account == signer->account;
}

bool active_super(const MemberState& m) {
  return m.status == MemberStatus::active && m.privileges.super;
}

[[noreturn]] void not_authorised(const SignedRecord& s, const std::string& what) {
  refuse(status::kUnauthorized, "membership record " + std::to_string(s.record.seq) +
                                    " is signed by " + s.signer + ", " + what);
}

}  // namespace

std::string_view to_string(RecordOp op) {
  switch (op) {
    case RecordOp::genesis:
      return "genesis";
    case RecordOp::add:
      return "add";
    case RecordOp::update:
      return "update";
    case RecordOp::resplit:
      return "resplit";
    case RecordOp::rotate:
      return "rotate";
  }
  return "rotate";
}

Json MembershipRecord::payload() const {
  Json ms = Json::array();
  for (const MemberChange& m : members) ms.push_back(change_to_json(m));
  Json p{{"group", group}, {"seq", seq}, {"op", to_string(op)}, {"members", std::move(ms)}};
  if (!prev.empty()) p["prev"] = prev;
  if (!key_id.empty()) p["key_id"] = key_id;
  if (!time.empty()) p["time"] = time;
  return p;
}

std::string MembershipRecord::sign(const Point& signer_key, const jws::Signer& signer) const {
  Json header{{"typ", kRecordType},
              {"kid", udf::key_fingerprint(signer_key)},
              {"jwk", jwk::from_public(signer_key)}};
  return jws::sign_compact(std::move(header), as_bytes(payload().dump()), signer);
}

std::string record_hash(std::string_view token) {
  return base64url::encode(sha256(as_bytes(token)));
}

SignedRecord parse_record(std::string_view token) {
  if (token.size() > kMaxRecordSize) refuse(status::kTooLarge, "membership record is too large");
  try {
    jws::Parsed parsed = jws::parse(token);
    const std::string* typ = json::optional_string(parsed.header, "typ", kWhat);
    if (typ == nullptr || *typ != kRecordType)
      refuse(status::kMalformed, "not a membership record (typ)");
    Point key = jwk::to_public(json::object_field(parsed.header, "jwk", kWhat));
    SignedRecord out;
    out.signer = udf::key_fingerprint(key);
    const std::string* kid = json::optional_string(parsed.header, "kid", kWhat);
    if (kid == nullptr || *kid != out.signer)
      refuse(status::kMalformed, "membership record kid is not the fingerprint of its key");
    jws::Verified verified = jws::verify_compact(token, key);
    out.record = record_from_json(json::parse(as_chars(verified.payload), kMaxRecordSize, kWhat));
    out.token = std::string(token);
    out.hash = record_hash(token);
    return out;
  } catch (const Error& e) {
    refuse(e.code() == Errc::too_large ? status::kTooLarge : status::kMalformed, e.what());
  }
}

void check_record(const SignedRecord& s, const ChainView& chain) {
  const MembershipRecord& r = s.record;
  const std::string seq = std::to_string(r.seq);
  if (r.group != chain.group_id)
    refuse(status::kMalformed, "membership record " + seq + " is for another group");
  if (!chain.head) {
    if (r.op != RecordOp::genesis || r.seq != 0)
      refuse(status::kConflict, "the membership chain must start with a genesis record");
  } else {
    if (r.op == RecordOp::genesis)
      refuse(status::kConflict, "the membership chain has a genesis record already");
    if (r.seq != chain.head->seq + 1)
      refuse(status::kConflict,
             "membership record " + seq + " does not extend the chain, whose head is record " +
                 std::to_string(chain.head->seq) +
                 " (another administrator may have changed the group: try again)");
    if (r.prev != chain.head->hash)
      refuse(status::kConflict,
             "membership record " + seq + " does not follow the chain's head (a fork)");
  }

  // The group's signing key may write anything; a member only what its privileges allow, as
  // the chain so far states them.
  const bool by_group_key = s.signer == chain.group_id;
  std::optional<MemberState> signer;
  if (!by_group_key) signer = chain.member(s.signer);
  const bool admin = by_group_key || (signer && signer->status == MemberStatus::active &&
                                      holds_power(signer->privileges));
  const bool super = by_group_key || (admin && signer->privileges.super);

  if (r.op == RecordOp::genesis) {
    if (!by_group_key) not_authorised(s, "not the group's signing key, which alone starts a chain");
    return;
  }
  const bool leaving = !by_group_key && revokes_itself(s, signer);
  if (!admin && !leaving) {
    if (r.op == RecordOp::update && signer && r.members.front().member == s.signer)
      not_authorised(s,
                     "who is not an ACTIVE administrator of the group: a member's own record may "
                     "only revoke it, with its privileges unchanged");
    not_authorised(s, "who is not an ACTIVE administrator of the group");
  }
  if (r.op == RecordOp::rotate) {
    if (r.key_id == chain.key_id)
      refuse(status::kMalformed, "membership rotate record " + seq + " names the current key");
    return;
  }
  const MemberChange& m = r.members.front();
  std::optional<MemberState> before = chain.member(m.member);
  if (r.op == RecordOp::add) {
    if (before) refuse(status::kConflict, "member " + m.member + " is already in the group");
    if (holds_power(m.state.privileges) && !super)
      not_authorised(s, "not SUPER: only a SUPER member grants ADMIN or SUPER");
    return;
  }
  if (!before)
    refuse(status::kNotFound,
           "membership record " + seq + " names " + m.member + ", who is not in the group");
  if (before->account != m.state.account)
    refuse(status::kMalformed, "membership record " + seq + " changes the account of " + m.member);
  if (r.op == RecordOp::resplit) {
    if (!(m.state == *before))
      refuse(status::kMalformed, "a re-split changes no member's status or privileges");
    if (before->status == MemberStatus::revoked)
      refuse(status::kConflict, "a revoked member gets no new key material");
    if (r.key_id != chain.key_id)
      refuse(status::kMalformed, "a re-split is for the group's current key");
    return;
  }
  // update
  if ((holds_power(before->privileges) || holds_power(m.state.privileges)) && !super && !leaving)
    not_authorised(s, "not SUPER: only a SUPER member changes an ADMIN or SUPER member");
  if (before->status == MemberStatus::revoked && !(m.state == *before))
    refuse(status::kConflict, "a revoked member stays revoked; add a key rollover instead");
  // Nobody else could then grant ADMIN or SUPER, or hand the group over: the last ACTIVE SUPER
  // does not step down by a record of its own.
  if (m.member == s.signer && active_super(*before) && !active_super(m.state) &&
      (!chain.active_supers || chain.active_supers() <= 1))
    refuse(status::kConflict,
           "the last ACTIVE SUPER administrator cannot leave the group or step down: hand the "
           "group over first (`recrypt group handover`)");
}

void MembershipState::append(const SignedRecord& s) {
  check_record(s, view());
  const MembershipRecord& r = s.record;
  if (r.op == RecordOp::genesis || r.op == RecordOp::rotate) key_id_ = r.key_id;
  if (r.op != RecordOp::resplit)
    for (const MemberChange& m : r.members) members_[m.member] = m.state;
  head_ = ChainHead{r.seq, s.hash};
}

ChainView MembershipState::view() const {
  return {group_id_, head_, key_id_,
          [this](const std::string& id) -> std::optional<MemberState> {
            auto it = members_.find(id);
            if (it == members_.end()) return std::nullopt;
            return it->second;
          },
          [this] {
            return static_cast<std::size_t>(
                std::count_if(members_.begin(), members_.end(),
                              [](const auto& m) { return active_super(m.second); }));
          }};
}

std::optional<MemberChange> MembershipState::find(std::string_view id_or_account) const {
  for (const auto& [id, state] : members_) {
    bool by_account = id_or_account.find('@') != std::string_view::npos;
    if (by_account ? state.account == id_or_account : udf::matches(id, id_or_account))
      return MemberChange{id, state};
  }
  return std::nullopt;
}

MembershipRecord MembershipState::next(RecordOp op) const {
  MembershipRecord r;
  r.group = group_id_;
  r.seq = length();
  if (head_) r.prev = head_->hash;
  r.op = op;
  r.time = rfc3339_now();
  return r;
}

Json MembershipState::to_json() const {
  Json members = Json::array();
  for (const auto& [id, state] : members_) members.push_back(change_to_json({id, state}));
  Json j{{"group", group_id_}, {"key_id", key_id_}, {"members", std::move(members)}};
  if (head_) j["head"] = Json{{"seq", head_->seq}, {"hash", head_->hash}};
  return j;
}

MembershipState MembershipState::from_json(const Json& j) {
  MembershipState s(json::string_field(j, "group", "membership state"));
  s.key_id_ = json::string_field(j, "key_id", "membership state");
  for (const Json& m : json::array_field(j, "members", "membership state")) {
    MemberChange c = change_from_json(m);
    s.members_[c.member] = c.state;
  }
  if (j.contains("head")) {
    const Json& h = json::object_field(j, "head", "membership state");
    s.head_ = ChainHead{json::uint_field(h, "seq", "membership state"),
                        json::string_field(h, "hash", "membership state")};
  }
  return s;
}

}  // namespace recrypt::service
