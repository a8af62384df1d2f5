// The typed messages of every transaction (docs/SERVICE.md). Each struct names its
// transaction (kName), writes its body with to_json() and reads one with from_json(), which
// checks fields and bounds and throws ServiceError(400/413).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/point.hpp"
#include "protocol/service/group_policy.hpp"
#include "protocol/service/member_entry.hpp"

namespace recrypt::service {

struct HelloRequest {
  static constexpr std::string_view kName = "Hello";
  Json to_json() const;
  static HelloRequest from_json(const Json& j);
};
struct HelloResponse {
  std::vector<std::string> versions;
  std::vector<std::string> encodings;
  std::string audience;  // what this service expects in a signature's "aud"
  // The service's clock (unix seconds): signed requests must be within its skew of it, so a
  // client can tell its user that its clock is off before requests start failing.
  std::optional<std::int64_t> time = std::nullopt;
  // Transactions beyond the -02 draft's that a client may not assume every service knows
  // (RecryptBatch); absent from an older service's answer, read as empty.
  std::vector<std::string> features = {};
  Json to_json() const;
  static HelloResponse from_json(const Json& j);
};

struct PublishProfileRequest {
  static constexpr std::string_view kName = "PublishProfile";
  std::string profile;  // JWS compact
  Json to_json() const;
  static PublishProfileRequest from_json(const Json& j);
};
struct PublishProfileResponse {
  std::string id;
  Json to_json() const;
  static PublishProfileResponse from_json(const Json& j);
};

// Exactly one of id, account (a personal profile) and group (a group name).
struct GetProfileRequest {
  static constexpr std::string_view kName = "GetProfile";
  std::string id;
  std::string account;
  std::string group;
  Json to_json() const;
  static GetProfileRequest from_json(const Json& j);
};
struct GetProfileResponse {
  std::string profile;
  Json to_json() const;
  static GetProfileResponse from_json(const Json& j);
};

struct CreateGroupRequest {
  static constexpr std::string_view kName = "CreateGroup";
  std::string profile;               // the signed group profile
  std::vector<MemberEntry> entries;  // key material for the members the genesis record names
  // The membership chain's first record (membership.hpp), signed by the group's signing key.
  std::vector<std::string> records = {};
  Json to_json() const;
  static CreateGroupRequest from_json(const Json& j);
};
struct CreateGroupResponse {
  std::string group;   // group id
  std::string key_id;  // UDF of A
  Json to_json() const;
  static CreateGroupResponse from_json(const Json& j);
};

struct UpdateGroupRequest {
  static constexpr std::string_view kName = "UpdateGroup";
  std::string group;    // name or id
  std::string profile;  // new signed group profile, same signing key, same encryption key
  Json to_json() const;
  static UpdateGroupRequest from_json(const Json& j);
};
struct UpdateGroupResponse {
  std::string group;
  Json to_json() const;
  static UpdateGroupResponse from_json(const Json& j);
};

struct MemberSummary {
  std::string member;
  std::string account;
  Privileges privileges;
  MemberStatus status = MemberStatus::active;
  std::vector<std::string> key_ids;  // group keys this member has an entry for
  Json to_json() const;
  static MemberSummary from_json(const Json& j);
};

struct GetGroupRequest {
  static constexpr std::string_view kName = "GetGroup";
  std::string group;
  // One page of the member list (docs/SERVICE.md §5): the members whose id sorts after
  // `after` (from the first when empty), at most `limit` of them (kDefaultLimit when 0).
  std::string after = {};
  std::uint64_t limit = 0;
  static constexpr std::uint64_t kDefaultLimit = 1000;
  static constexpr std::uint64_t kMaxLimit = 1000;
  Json to_json() const;
  static GetGroupRequest from_json(const Json& j);
};
struct GetGroupResponse {
  std::string group;  // id
  std::string name;
  std::string key_id;
  std::string profile;
  // Every member for an administrator; in a group with hidden membership, only the caller's
  // own entry for anyone else.
  std::vector<MemberSummary> members;
  bool hidden_membership = false;
  // The membership chain's head: how many records it has and the hash of the last.
  std::uint64_t chain_length = 0;
  std::string chain_head = {};
  // For administrators only: members never learn the group's rules (nor, through quotas,
  // who else is in it).
  std::optional<GroupPolicy> policy = std::nullopt;
  // The `after` of the next page; empty when this page is the last.
  std::string next = {};
  Json to_json() const;
  static GetGroupResponse from_json(const Json& j);
};

struct SetPolicyRequest {
  static constexpr std::string_view kName = "SetPolicy";
  std::string group;   // name or id
  GroupPolicy policy;  // the whole policy, replacing the one stored
  Json to_json() const;
  static SetPolicyRequest from_json(const Json& j);
};
struct SetPolicyResponse {
  std::string group;  // id
  GroupPolicy policy;
  Json to_json() const;
  static SetPolicyResponse from_json(const Json& j);
};

struct AddMemberRequest {
  static constexpr std::string_view kName = "AddMember";
  std::string group;
  std::vector<MemberEntry> entries;
  std::vector<std::string> records = {};  // one signed "add" record per entry, in chain order
  // The signed personal profiles of added members whose home is another service, so that
  // this service knows their devices' signing keys (each must be an added member's).
  std::vector<std::string> profiles = {};
  Json to_json() const;
  static AddMemberRequest from_json(const Json& j);
};
struct AddMemberResponse {
  std::uint64_t added = 0;
  Json to_json() const;
  static AddMemberResponse from_json(const Json& j);
};

struct UpdateMemberRequest {
  static constexpr std::string_view kName = "UpdateMember";
  std::string group;
  std::string member;
  std::optional<MemberStatus> status;
  std::optional<Privileges> privileges;
  // A re-split: fresh key material for this member (after it lost a device), replacing its
  // entry for entry->key_id. The old share, wherever a copy of it is, stops combining.
  std::optional<MemberEntry> entry = std::nullopt;
  // The signed "update" record (status, privileges) and/or "resplit" record (entry).
  std::vector<std::string> records = {};
  // The member's current signed personal profile, when its home is another service.
  std::vector<std::string> profiles = {};
  Json to_json() const;
  static UpdateMemberRequest from_json(const Json& j);
};
struct UpdateMemberResponse {
  MemberSummary member;
  Json to_json() const;
  static UpdateMemberResponse from_json(const Json& j);
};

struct RecryptDataRequest {
  static constexpr std::string_view kName = "RecryptData";
  std::string group;   // name or id
  std::string key_id;  // UDF of the group key A the document was encrypted to
  Point epk;           // the sender's T
  // The document's id (FORMAT.md §10) as the member's agent states it, for the audit; empty
  // when the client does not say. The service records beside it the key agreement's own id
  // (agreement_id of epk), which no client can misstate.
  std::string document = {};
  Json to_json() const;
  static RecryptDataRequest from_json(const Json& j);
};
struct RecryptDataResponse {
  Point partial;              // R = r·T
  std::string wrapped_share;  // JWE of x for the requesting device
  Json to_json() const;
  static RecryptDataResponse from_json(const Json& j);
};

// RecryptBatch (docs/SERVICE.md §4.7b): several key agreements of one document, asked by one
// device in one signed request, each decided as its own RecryptData would be.
inline constexpr std::size_t kMaxBatchAgreements = 16;
struct RecryptAgreement {
  std::string group;   // name or id
  std::string key_id;  // UDF of the group key A
  Point epk;           // the sender's T
};
struct RecryptBatchRequest {
  static constexpr std::string_view kName = "RecryptBatch";
  std::vector<RecryptAgreement> agreements;  // 1 to kMaxBatchAgreements
  std::string document = {};                 // as RecryptDataRequest::document, for every one
  Json to_json() const;
  static RecryptBatchRequest from_json(const Json& j);
};
// One agreement's outcome, in the request's order: the Status and StatusDescription its own
// RecryptData would have been answered with, and its answer (201) or review request (202).
struct RecryptBatchResult {
  int status = 0;
  std::string description;
  std::optional<RecryptDataResponse> answer = std::nullopt;
  std::uint64_t review_request = 0;
  Json to_json() const;
  static RecryptBatchResult from_json(const Json& j);
};
struct RecryptBatchResponse {
  std::vector<RecryptBatchResult> results;
  Json to_json() const;
  static RecryptBatchResponse from_json(const Json& j);
};

struct RotateGroupKeyRequest {
  static constexpr std::string_view kName = "RotateGroupKey";
  std::string group;
  std::string profile;  // new A as encryption_key, the old one among the past keys
  std::vector<MemberEntry>
      entries;  // key material for the new A (members keep status and privileges)
  std::vector<std::string> records = {};  // the signed "rotate" record
  // Current signed personal profiles of members whose home is another service.
  std::vector<std::string> profiles = {};
  Json to_json() const;
  static RotateGroupKeyRequest from_json(const Json& j);
};
struct RotateGroupKeyResponse {
  std::string key_id;
  Json to_json() const;
  static RotateGroupKeyResponse from_json(const Json& j);
};

// The group's membership chain, records `from` to `from + limit - 1` (ACTIVE members only).
struct ReadMembershipRequest {
  static constexpr std::string_view kName = "ReadMembership";
  std::string group;
  std::uint64_t from = 0;
  std::uint64_t limit = 1000;  // at most 1000
  Json to_json() const;
  static ReadMembershipRequest from_json(const Json& j);
};
struct ReadMembershipResponse {
  std::string group;         // id
  std::uint64_t length = 0;  // records in the chain
  std::vector<std::string> records;
  Json to_json() const;
  static ReadMembershipResponse from_json(const Json& j);
};

// Gives a group created before membership chains its first records: a genesis and one "add"
// per other member, which must state exactly the members the service holds (docs/SERVICE.md).
struct MigrateMembershipRequest {
  static constexpr std::string_view kName = "MigrateMembership";
  std::string group;
  std::vector<std::string> records;
  Json to_json() const;
  static MigrateMembershipRequest from_json(const Json& j);
};
struct MigrateMembershipResponse {
  std::uint64_t length = 0;
  Json to_json() const;
  static MigrateMembershipResponse from_json(const Json& j);
};

// The group's secrets as an administrator made them for the requesting device (its admin
// package, MemberEntry::admin_keys), for the group's current key; ACTIVE ADMIN or SUPER only.
struct GetAdminKeysRequest {
  static constexpr std::string_view kName = "GetAdminKeys";
  std::string group;  // name or id
  Json to_json() const;
  static GetAdminKeysRequest from_json(const Json& j);
};
struct GetAdminKeysResponse {
  std::string group;    // id
  std::string key_id;   // the group key the package carries
  std::string package;  // opaque to the service
  Json to_json() const;
  static GetAdminKeysResponse from_json(const Json& j);
};

struct AuditRecord {
  std::uint64_t seq = 0;
  std::int64_t time = 0;
  std::string transaction;
  std::string group;
  std::string member;  // profile id of the requester, when known
  std::string device;  // kid that signed the request
  std::string key_id;
  int status = 0;
  std::string description;
  // RecryptData: the document id the client stated, and the id of the key agreement the
  // service computed from (FORMAT.md §10); empty for other transactions.
  std::string document = {};
  std::string agreement = {};
  Json to_json() const;
  static AuditRecord from_json(const Json& j);
};

struct ReadAuditRequest {
  static constexpr std::string_view kName = "ReadAudit";
  std::string group;
  std::uint64_t after = 0;    // return records with seq > after
  std::uint64_t limit = 100;  // at most 1000
  // When not empty, only the records of these key agreements (FORMAT.md §10): what the group
  // knows of one document. At most kMaxAgreements, each at most a fingerprint's length.
  std::vector<std::string> agreements = {};
  static constexpr std::size_t kMaxAgreements = 1024;
  Json to_json() const;
  static ReadAuditRequest from_json(const Json& j);
};
struct ReadAuditResponse {
  std::vector<AuditRecord> records;
  Json to_json() const;
  static ReadAuditResponse from_json(const Json& j);
};

// RecryptData's answer with Status 202 (docs/SERVICE.md §5b, Review): no partial yet, the
// recryption waits for an administrator's review of request `review_request`. The client
// throws it as ReviewPending (service_error.hpp).
struct ReviewPendingResponse {
  std::uint64_t review_request = 0;
  Json to_json() const;
  static ReviewPendingResponse from_json(const Json& j);
};

// A recryption held for review (docs/SERVICE.md §5b, Review): one per group, member and key
// agreement, so that deciding it opens that one document for that one member.
struct Review {
  std::uint64_t id = 0;
  std::string member;   // profile id
  std::string account;  // the member's account, as the service has it (ListReviews only)
  std::string device;   // kid of the device that first asked
  std::string key_id;
  std::string agreement;  // udf::key_fingerprint of the document's T
  std::string document;   // the document id the client stated; may be empty
  std::int64_t requested = 0;
  std::string state;       // "pending", "approved" or "denied"
  std::string decided_by;  // profile id of the administrator; empty while pending
  std::int64_t decided = 0;
  Json to_json() const;
  static Review from_json(const Json& j);
};
// "pending", "approved" or "denied"; anything else is a 400.
bool is_review_state(const std::string& state);

// A group's reviews, oldest first: every one, or those in `state`. ADMIN only.
struct ListReviewsRequest {
  static constexpr std::string_view kName = "ListReviews";
  std::string group;  // name or id
  std::string state = {};
  Json to_json() const;
  static ListReviewsRequest from_json(const Json& j);
};
struct ListReviewsResponse {
  std::string group;  // id
  std::vector<Review> reviews;
  Json to_json() const;
  static ListReviewsResponse from_json(const Json& j);
};

// An administrator approves or denies a pending review; a decided one stays decided (409).
struct DecideReviewRequest {
  static constexpr std::string_view kName = "DecideReview";
  std::string group;  // name or id
  std::uint64_t request = 0;
  bool approve = false;
  Json to_json() const;
  static DecideReviewRequest from_json(const Json& j);
};
struct DecideReviewResponse {
  std::string group;  // id
  Review review;      // as decided
  Json to_json() const;
  static DecideReviewResponse from_json(const Json& j);
};

}  // namespace recrypt::service
