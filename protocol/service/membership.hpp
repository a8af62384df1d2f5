// A group's membership as a hash chain of signed records (docs/SERVICE.md §6, docs/SECURITY.md).
//
// The service stores and serves the chain, but the records are signed by the group's signing
// key (the first one) or by an administrator the chain itself names, and each names the hash
// of the one before: a service can withhold records, but cannot forge one, reorder them, drop
// one from the middle, or make an agent that saw a longer chain accept a shorter one. Whoever
// holds the group key computes "who gets a share" from the verified chain, never from the
// service's word.
//
// A record is a JWS compact (ES256). Its protected header carries the signer's public JWK and
// kid = the UDF of that key, so a record verifies with nothing but itself; whether that
// signer may write it is the chain's question (check_record).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/jws.hpp"
#include "protocol/point.hpp"
#include "protocol/service/member_entry.hpp"

namespace recrypt::service {

inline constexpr std::size_t kMaxRecordSize = 16 * 1024;
inline constexpr std::size_t kMaxRecordsPerRequest = kMaxEntriesPerRequest;
inline constexpr std::size_t kMaxGenesisMembers = 64;
inline constexpr std::string_view kRecordType = "recrypt-membership";

// genesis: the first record, by the group's signing key: the group key and the first members.
// add: one new member. update: one member's new status and privileges. resplit: one member got
// a fresh share of the current key. rotate: the group key changed.
enum class RecordOp { genesis, add, update, resplit, rotate };
std::string_view to_string(RecordOp op);

struct MemberState {
  std::string account;
  Privileges privileges;
  MemberStatus status = MemberStatus::active;
  friend bool operator==(const MemberState&, const MemberState&) = default;
};

struct MemberChange {
  std::string member;  // profile id
  MemberState state;   // the member's state after the record
};

struct MembershipRecord {
  std::string group;  // group id: a record cannot be replayed into another group's chain
  std::uint64_t seq = 0;
  std::string prev;  // record_hash of record seq - 1; empty for the genesis
  RecordOp op = RecordOp::add;
  std::string key_id;  // genesis, rotate: the group key from now on; resplit: the key re-split
  std::vector<MemberChange> members;  // genesis: the first members; add, update, resplit: one
  std::string time;                   // RFC 3339, when it was signed (informative)

  Json payload() const;
  std::string sign(const Point& signer_key, const jws::Signer& signer) const;
};

// A record whose signature verified against the key its header names. Nothing yet says that
// the signer may write it: check_record does, against the chain before it.
struct SignedRecord {
  MembershipRecord record;
  std::string token;
  std::string hash;    // record_hash(token)
  std::string signer;  // UDF of the signing key: a member's profile id, or the group id
};

// base64url(SHA-256(token)): what the next record's "prev" names.
std::string record_hash(std::string_view token);
// ServiceError(400/413) for a record that is malformed or whose signature does not verify.
SignedRecord parse_record(std::string_view token);

// The last record of a chain.
struct ChainHead {
  std::uint64_t seq = 0;
  std::string hash;
};

// What check_record needs to know of the chain so far: its head (none before the genesis),
// the group's current key, the state of any member it names, and how many members are ACTIVE
// and SUPER (the last of them may not leave).
struct ChainView {
  std::string group_id;
  std::optional<ChainHead> head;
  std::string key_id;
  std::function<std::optional<MemberState>(const std::string& member)> member;
  std::function<std::size_t()> active_supers;
};

// The one statement of the rules a record follows; the service applies it before it stores
// a record, every agent before it believes one. ServiceError names the rule broken: 409 for a
// record that does not extend the head, 401 for a signer without the authority, 400 else.
void check_record(const SignedRecord& r, const ChainView& chain);

// A chain verified record by record from the genesis, as an agent keeps it.
class MembershipState {
 public:
  explicit MembershipState(std::string group_id) : group_id_(std::move(group_id)) {}

  // Checks the next record against the state and applies it.
  void append(const SignedRecord& r);
  void append(std::string_view token) { append(parse_record(token)); }

  const std::string& group_id() const { return group_id_; }
  const std::optional<ChainHead>& head() const { return head_; }
  std::uint64_t length() const { return head_ ? head_->seq + 1 : 0; }
  const std::string& key_id() const { return key_id_; }
  const std::map<std::string, MemberState>& members() const { return members_; }
  // The member with this profile id (a typed prefix of one), or with this account.
  std::optional<MemberChange> find(std::string_view id_or_account) const;

  // The next record's frame: group, seq and prev filled in.
  MembershipRecord next(RecordOp op) const;

  Json to_json() const;
  static MembershipState from_json(const Json& j);

 private:
  ChainView view() const;

  std::string group_id_;
  std::optional<ChainHead> head_;
  std::string key_id_;
  std::map<std::string, MemberState> members_;
};

}  // namespace recrypt::service
