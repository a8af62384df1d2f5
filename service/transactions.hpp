// The transactions themselves, free of HTTP and of signature checking: each takes the store
// (inside the transaction that will commit it), the authenticated caller and its typed
// request, and returns the response body or throws ServiceError.
#pragma once

#include <set>
#include <string>

#include "protocol/json.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/request_signature.hpp"
#include "protocol/service/rotation_messages.hpp"
#include "protocol/service/service_error.hpp"
#include "service/key_vault.hpp"
#include "service/store.hpp"

namespace recrypt::service::tx {

// Who signed the request, after the signature, time, audience and nonce were checked.
struct Caller {
  SignerRecord signer;  // signer.profile_id is the member identity
  RequestClaims claims;
};

// What the audit record of a request says besides who and when; transactions fill it in as
// soon as they know.
struct AuditNote {
  std::string group;
  std::string key_id;
  // RecryptData: the document id the client stated and the key agreement's id.
  std::string document = {};
  std::string agreement = {};
  // A success's description in the audit record and the answer, instead of "OK"
  // (DecideReview: "approved review request 7 of bob@example.com").
  std::string outcome = {};
};

Json publish_profile(StoreWriter& w, const VerifiedProfile& profile);
// Stores a personal profile and its signers (the profile key, each device's key), refused
// (409) when its account name or one of its signing keys belongs to another profile.
void store_personal_profile(StoreWriter& w, const VerifiedProfile& profile);
// The profiles an AddMember, UpdateMember or RotateGroupKey carries for members whose home is
// another service: each must verify and be one of `member_ids`; a copy older than the one
// stored is passed over. Stored as store_personal_profile does.
void store_carried_profiles(StoreWriter& w, const std::vector<std::string>& tokens,
                            const std::set<std::string>& member_ids);
Json get_profile(StoreReader& r, const GetProfileRequest& req);

Json create_group(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                  const CreateGroupRequest& req, AuditNote& note);
Json update_group(StoreWriter& w, const Caller& caller, const UpdateGroupRequest& req,
                  AuditNote& note);
Json get_group(StoreReader& r, const Caller& caller, const GetGroupRequest& req, AuditNote& note);
// An administrator replaces the group's policy (docs/SERVICE.md §4.12).
Json set_policy(StoreWriter& w, const Caller& caller, const SetPolicyRequest& req, AuditNote& note);
Json rotate_group_key(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                      const RotateGroupKeyRequest& req, AuditNote& note);
Json read_audit(StoreReader& r, const Caller& caller, const ReadAuditRequest& req, AuditNote& note);

// A key rotation in steps (tx_rotation.cpp, docs/SERVICE.md §5).
Json begin_rotation(StoreWriter& w, const Caller& caller, const BeginRotationRequest& req,
                    AuditNote& note);
Json add_rotation_entries(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                          const AddRotationEntriesRequest& req, AuditNote& note);
Json commit_rotation(StoreWriter& w, const Caller& caller, const CommitRotationRequest& req,
                     AuditNote& note);
Json abandon_rotation(StoreWriter& w, const Caller& caller, const AbandonRotationRequest& req,
                      AuditNote& note);

Json add_member(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                const AddMemberRequest& req, AuditNote& note);
Json update_member(StoreWriter& w, const KeyVault& vault, const Caller& caller,
                   const UpdateMemberRequest& req, AuditNote& note);

Json read_membership(StoreReader& r, const Caller& caller, const ReadMembershipRequest& req,
                     AuditNote& note);
// An ADMIN or SUPER member's device asks for the group's secrets an administrator left for it.
Json get_admin_keys(StoreReader& r, const Caller& caller, const GetAdminKeysRequest& req,
                    AuditNote& note);
Json migrate_membership(StoreWriter& w, const Caller& caller, const MigrateMembershipRequest& req,
                        AuditNote& note);

Json recrypt_data(StoreReader& r, const KeyVault& vault, const Caller& caller,
                  const RecryptDataRequest& req, AuditNote& note);

// RecryptData in two steps: what it needs from the store, checked (member ACTIVE with
// RECRYPT, key and share present), and the computation. A plan stays valid as long as the
// store has not changed, so the service may keep it for the next request of that device.
struct RecryptPlan {
  std::string group_id;
  std::string member_id;
  std::string key_id;
  Bytes sealed_recryption_key;
  std::string share;  // wrapped for the requesting device
  // The member's quota (docs/SERVICE.md §5b), whether it is its own or the group's default,
  // and whether the group has any quota (then every member's answers are counted).
  Quota quota = {};
  bool own_quota = false;
  bool counted = false;
  // The group's policy holds recryptions under this key for review (tx_reviews.cpp).
  bool reviewed = false;
};
RecryptPlan plan_recrypt(StoreReader& r, const Caller& caller, const RecryptDataRequest& req,
                         AuditNote& note);
Json execute_recrypt(const RecryptPlan& plan, const KeyVault& vault, const Point& epk);

// Review (tx_reviews.cpp, docs/SERVICE.md §5b): RecryptData under a reviewed key, after the
// plan's checks. What the member's stored review of the key agreement allows: approved, the
// answer; denied, a 401 naming the administrator; pending, a 202 (`status` and `description`
// set) with the request's id.
Json answer_under_review(StoreReader& r, const Review& review, const RecryptPlan& plan,
                         const KeyVault& vault, const Point& epk, int& status,
                         std::string& description);
// No review yet: stores a pending one (or finds the one a concurrent request stored).
Review ask_review(StoreWriter& w, const Caller& caller, const RecryptPlan& plan,
                  const AuditNote& note);
Json list_reviews(StoreReader& r, const Caller& caller, const ListReviewsRequest& req,
                  AuditNote& note);
Json decide_review(StoreWriter& w, const Caller& caller, const DecideReviewRequest& req,
                   AuditNote& note);

// Shared by the group and member transactions.
GroupRecord require_group(StoreReader& r, const std::string& ref);
// An ACTIVE member with ADMIN or SUPER, or the group's own signing key.
bool is_admin(StoreReader& r, const GroupRecord& g, const Caller& caller);
void require_admin(StoreReader& r, const GroupRecord& g, const Caller& caller);
// The request is signed by the group's own signing key (its profile is stored with it as a
// signer): the group's authority, as in its membership records.
bool is_group_key(const GroupRecord& g, const Caller& caller);
// A member entry checked against the group `g` (its key among g's, admin_keys only for an
// administrator), its r sealed: the row put_key stores.
KeyRecord entry_key(StoreReader& r, const KeyVault& vault, const GroupRecord& g,
                    const MemberEntry& e);
void store_entry_key(StoreWriter& w, const KeyVault& vault, const GroupRecord& g,
                     const MemberEntry& e);
// A rotation's entry: for g's (new) current key, of a member of the group not revoked.
KeyRecord rotation_entry_key(StoreReader& r, const KeyVault& vault, const GroupRecord& g,
                             const MemberEntry& e);
// The group's record as a group profile states it, and that profile stored with the group's
// signing key as a signer (is_group_key).
GroupRecord record_of(const GroupProfile& p, const std::string& token);
void put_group_profile(StoreWriter& w, const GroupProfile& p, const std::string& token);
// A new profile of the group `g` that rotates its key: same signing key, a name nobody else
// uses, a new key, and every earlier key among its past keys.
GroupProfile checked_rotation(StoreReader& r, const GroupRecord& g, const std::string& token);
// What a rotation, in one request (RotateGroupKey) or in steps (BeginRotation), is checked
// against before anything of it is stored: the group, the caller one of its administrators,
// its chain started, and the new profile (checked_rotation). `note` names the group and the
// new key.
struct RotationStart {
  GroupRecord group;
  GroupProfile profile;
};
RotationStart start_rotation(StoreReader& r, const Caller& caller, const std::string& group,
                             const std::string& profile, AuditNote& note);
// What check_record sees of the group's chain: its head and the members table.
ChainView chain_view(StoreReader& r, const GroupRecord& g);
std::string seal_context(const std::string& group_id, const std::string& member_id,
                         const std::string& key_id);

// The membership chain (tx_membership.cpp). A group created before chains has none until an
// administrator migrates it; member transactions are refused until then.
void require_chain(const GroupRecord& g);
// Checks each record against the chain's head and the members table, applies it to both, and
// refuses a record whose op is not in `allowed`, or a request with no record at all.
std::vector<SignedRecord> append_records(StoreWriter& w, GroupRecord& g,
                                         const std::vector<std::string>& tokens,
                                         std::initializer_list<RecordOp> allowed);
// Every member the records add comes with exactly one entry, with the status and privileges
// the record gives it.
void check_entries_match(const std::vector<SignedRecord>& records,
                         const std::vector<MemberEntry>& entries);

}  // namespace recrypt::service::tx
