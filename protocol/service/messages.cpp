#include "protocol/service/messages.hpp"

#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/message_fields.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

using message_fields::checked;
using message_fields::kMaxRef;
using message_fields::kWhat;
using message_fields::str;

// A document id is a fingerprint (FORMAT.md §7); room for a longer form, not for a payload.
constexpr std::size_t kMaxDocumentId = 128;

std::string opt_str(const Json& j, std::string_view key, std::size_t max = kMaxRef) {
  const std::string* s = json::optional_string(j, key, kWhat);
  if (s == nullptr) return {};
  if (s->size() > max) fail(Errc::malformed, "field \"" + std::string(key) + "\" is too long");
  return *s;
}

std::vector<MemberEntry> entries_from(const Json& j, bool required) {
  std::vector<MemberEntry> out;
  if (!required && !j.contains("entries")) return out;
  const auto& arr = json::array_field(j, "entries", kWhat);
  if (arr.size() > kMaxEntriesPerRequest)
    fail(Errc::too_large, "too many member entries in one request");
  for (const Json& e : arr) out.push_back(MemberEntry::from_json(e));
  return out;
}

Json entries_to(const std::vector<MemberEntry>& entries) {
  Json arr = Json::array();
  for (const MemberEntry& e : entries) arr.push_back(e.to_json());
  return arr;
}

// Signed membership records travel as JWS compact strings; the transaction verifies them.
std::vector<std::string> records_from(const Json& j, bool required) {
  std::vector<std::string> out;
  if (!required && !j.contains("records")) return out;
  const auto& arr = json::array_field(j, "records", kWhat);
  if (arr.size() > kMaxRecordsPerRequest)
    fail(Errc::too_large, "too many membership records in one request");
  for (const Json& v : arr) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxRecordSize)
      fail(Errc::malformed, "a membership record must be a JWS compact string of at most 16 KiB");
    out.push_back(v.get<std::string>());
  }
  return out;
}

// Personal profiles an administrator carries for members whose home is another service; the
// transaction verifies them. Absent when there are none.
std::vector<std::string> profiles_from(const Json& j) {
  std::vector<std::string> out;
  if (!j.contains("profiles")) return out;
  const auto& arr = json::array_field(j, "profiles", kWhat);
  if (arr.size() > kMaxEntriesPerRequest) fail(Errc::too_large, "too many profiles in one request");
  for (const Json& v : arr) {
    if (!v.is_string() || v.get_ref<const std::string&>().size() > kMaxProfileSize)
      fail(Errc::malformed, "a profile must be a JWS compact string within the profile size limit");
    out.push_back(v.get<std::string>());
  }
  return out;
}

void profiles_to(Json& out, const std::vector<std::string>& profiles) {
  if (!profiles.empty()) out["profiles"] = profiles;
}

std::vector<std::string> strings(const Json& j, std::string_view key) {
  std::vector<std::string> out;
  for (const Json& v : json::array_field(j, key, kWhat)) {
    if (!v.is_string())
      fail(Errc::malformed, "field \"" + std::string(key) + "\" must hold strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

Json HelloRequest::to_json() const { return Json::object(); }
HelloRequest HelloRequest::from_json(const Json&) { return {}; }
Json HelloResponse::to_json() const {
  Json out{{"versions", versions}, {"encodings", encodings}, {"audience", audience}};
  if (time) out["time"] = *time;
  if (!features.empty()) out["features"] = features;
  return out;
}
HelloResponse HelloResponse::from_json(const Json& j) {
  return checked([&] {
    HelloResponse r{strings(j, "versions"), strings(j, "encodings"), str(j, "audience")};
    if (auto it = j.find("time"); it != j.end()) {
      if (!it->is_number_integer()) fail(Errc::malformed, "Hello \"time\" must be an integer");
      r.time = it->get<std::int64_t>();
    }
    if (j.contains("features")) r.features = strings(j, "features");
    return r;
  });
}

Json PublishProfileRequest::to_json() const { return Json{{"profile", profile}}; }
PublishProfileRequest PublishProfileRequest::from_json(const Json& j) {
  return checked([&] { return PublishProfileRequest{str(j, "profile", kMaxProfileSize)}; });
}
Json PublishProfileResponse::to_json() const { return Json{{"id", id}}; }
PublishProfileResponse PublishProfileResponse::from_json(const Json& j) {
  return checked([&] { return PublishProfileResponse{str(j, "id")}; });
}

Json GetProfileRequest::to_json() const {
  Json out = Json::object();
  if (!id.empty()) out["id"] = id;
  if (!account.empty()) out["account"] = account;
  if (!group.empty()) out["group"] = group;
  return out;
}
GetProfileRequest GetProfileRequest::from_json(const Json& j) {
  return checked([&] {
    GetProfileRequest r{opt_str(j, "id"), opt_str(j, "account"), opt_str(j, "group")};
    int given = !r.id.empty() + !r.account.empty() + !r.group.empty();
    if (given != 1) fail(Errc::malformed, "GetProfile takes exactly one of id, account and group");
    return r;
  });
}
Json GetProfileResponse::to_json() const { return Json{{"profile", profile}}; }
GetProfileResponse GetProfileResponse::from_json(const Json& j) {
  return checked([&] { return GetProfileResponse{str(j, "profile", kMaxProfileSize)}; });
}

Json CreateGroupRequest::to_json() const {
  return Json{{"profile", profile}, {"entries", entries_to(entries)}, {"records", records}};
}
CreateGroupRequest CreateGroupRequest::from_json(const Json& j) {
  return checked([&] {
    return CreateGroupRequest{str(j, "profile", kMaxProfileSize), entries_from(j, false),
                              records_from(j, true)};
  });
}
Json CreateGroupResponse::to_json() const { return Json{{"group", group}, {"key_id", key_id}}; }
CreateGroupResponse CreateGroupResponse::from_json(const Json& j) {
  return checked([&] { return CreateGroupResponse{str(j, "group"), str(j, "key_id")}; });
}

Json UpdateGroupRequest::to_json() const { return Json{{"group", group}, {"profile", profile}}; }
UpdateGroupRequest UpdateGroupRequest::from_json(const Json& j) {
  return checked([&] {
    return UpdateGroupRequest{str(j, "group"), str(j, "profile", kMaxProfileSize)};
  });
}
Json UpdateGroupResponse::to_json() const { return Json{{"group", group}}; }
UpdateGroupResponse UpdateGroupResponse::from_json(const Json& j) {
  return checked([&] { return UpdateGroupResponse{str(j, "group")}; });
}

Json MemberSummary::to_json() const {
  return Json{{"member", member},
              {"account", account},
              {"privileges", privileges_to_json(privileges)},
              {"status", to_string(status)},
              {"key_ids", key_ids}};
}
MemberSummary MemberSummary::from_json(const Json& j) {
  return checked([&] {
    return MemberSummary{str(j, "member"), opt_str(j, "account"),
                         privileges_from_json(j.value("privileges", Json::array())),
                         parse_status(json::string_field(j, "status", kWhat)),
                         strings(j, "key_ids")};
  });
}

Json GetGroupRequest::to_json() const {
  Json out{{"group", group}};
  if (!after.empty()) out["after"] = after;
  if (limit != 0) out["limit"] = limit;
  return out;
}
GetGroupRequest GetGroupRequest::from_json(const Json& j) {
  return checked([&] {
    GetGroupRequest r{str(j, "group"), opt_str(j, "after")};
    if (j.contains("limit")) {
      r.limit = json::uint_field(j, "limit", kWhat);
      if (r.limit == 0 || r.limit > kMaxLimit)
        fail(Errc::malformed, "limit must be 1.." + std::to_string(kMaxLimit));
    }
    return r;
  });
}
Json GetGroupResponse::to_json() const {
  Json m = Json::array();
  for (const MemberSummary& s : members) m.push_back(s.to_json());
  Json out{{"group", group},
           {"name", name},
           {"key_id", key_id},
           {"profile", profile},
           {"members", std::move(m)},
           {"hidden_membership", hidden_membership},
           {"chain_length", chain_length},
           {"chain_head", chain_head}};
  if (policy) out["policy"] = policy->to_json();
  if (!next.empty()) out["next"] = next;
  return out;
}
GetGroupResponse GetGroupResponse::from_json(const Json& j) {
  return checked([&] {
    GetGroupResponse r{
        str(j, "group"), str(j, "name"), str(j, "key_id"), str(j, "profile", kMaxProfileSize), {}};
    for (const Json& m : json::array_field(j, "members", kWhat))
      r.members.push_back(MemberSummary::from_json(m));
    if (auto it = j.find("hidden_membership"); it != j.end()) {
      if (!it->is_boolean()) fail(Errc::malformed, "\"hidden_membership\" must be a boolean");
      r.hidden_membership = it->get<bool>();
    }
    if (j.contains("chain_length")) r.chain_length = json::uint_field(j, "chain_length", kWhat);
    r.chain_head = opt_str(j, "chain_head");
    if (j.contains("policy")) r.policy = GroupPolicy::from_json(j["policy"]);
    r.next = opt_str(j, "next");
    return r;
  });
}

Json SetPolicyRequest::to_json() const {
  return Json{{"group", group}, {"policy", policy.to_json()}};
}
SetPolicyRequest SetPolicyRequest::from_json(const Json& j) {
  return checked([&] {
    return SetPolicyRequest{str(j, "group"),
                            GroupPolicy::from_json(json::object_field(j, "policy", kWhat))};
  });
}
Json SetPolicyResponse::to_json() const {
  return Json{{"group", group}, {"policy", policy.to_json()}};
}
SetPolicyResponse SetPolicyResponse::from_json(const Json& j) {
  return checked([&] {
    return SetPolicyResponse{str(j, "group"),
                             GroupPolicy::from_json(json::object_field(j, "policy", kWhat))};
  });
}

Json AddMemberRequest::to_json() const {
  Json out{{"group", group}, {"entries", entries_to(entries)}, {"records", records}};
  profiles_to(out, profiles);
  return out;
}
AddMemberRequest AddMemberRequest::from_json(const Json& j) {
  return checked([&] {
    AddMemberRequest r{str(j, "group"), entries_from(j, true), records_from(j, true),
                       profiles_from(j)};
    if (r.entries.empty()) fail(Errc::malformed, "AddMember needs at least one entry");
    return r;
  });
}
Json AddMemberResponse::to_json() const { return Json{{"added", added}}; }
AddMemberResponse AddMemberResponse::from_json(const Json& j) {
  return checked([&] { return AddMemberResponse{json::uint_field(j, "added", kWhat)}; });
}

Json UpdateMemberRequest::to_json() const {
  Json out{{"group", group}, {"member", member}};
  if (status) out["status"] = to_string(*status);
  if (privileges) out["privileges"] = privileges_to_json(*privileges);
  if (entry) out["entry"] = entry->to_json();
  out["records"] = records;
  profiles_to(out, profiles);
  return out;
}
UpdateMemberRequest UpdateMemberRequest::from_json(const Json& j) {
  return checked([&] {
    UpdateMemberRequest r{str(j, "group"), str(j, "member"), std::nullopt, std::nullopt};
    if (j.contains("status")) r.status = parse_status(json::string_field(j, "status", kWhat));
    if (j.contains("privileges")) r.privileges = privileges_from_json(j["privileges"]);
    if (j.contains("entry"))
      r.entry = MemberEntry::from_json(json::object_field(j, "entry", kWhat));
    r.records = records_from(j, true);
    r.profiles = profiles_from(j);
    if (!r.status && !r.privileges && !r.entry)
      fail(Errc::malformed, "UpdateMember needs a status, privileges or an entry");
    return r;
  });
}
Json UpdateMemberResponse::to_json() const { return Json{{"member", member.to_json()}}; }
UpdateMemberResponse UpdateMemberResponse::from_json(const Json& j) {
  return checked([&] {
    return UpdateMemberResponse{MemberSummary::from_json(json::object_field(j, "member", kWhat))};
  });
}

Json RecryptDataRequest::to_json() const {
  Json out{{"group", group}, {"key_id", key_id}, {"epk", jwk::from_public(epk)}};
  if (!document.empty()) out["document"] = document;
  return out;
}
RecryptDataRequest RecryptDataRequest::from_json(const Json& j) {
  return checked([&] {
    return RecryptDataRequest{str(j, "group"), str(j, "key_id"),
                              jwk::to_public(json::object_field(j, "epk", kWhat)),
                              opt_str(j, "document", kMaxDocumentId)};
  });
}
Json RecryptDataResponse::to_json() const {
  return Json{{"partial", jwk::from_public(partial)}, {"wrapped_share", wrapped_share}};
}
RecryptDataResponse RecryptDataResponse::from_json(const Json& j) {
  return checked([&] {
    return RecryptDataResponse{jwk::to_public(json::object_field(j, "partial", kWhat)),
                               str(j, "wrapped_share", kMaxWrappedShareSize)};
  });
}

Json RecryptBatchRequest::to_json() const {
  Json list = Json::array();
  for (const RecryptAgreement& a : agreements)
    list.push_back(
        Json{{"group", a.group}, {"key_id", a.key_id}, {"epk", jwk::from_public(a.epk)}});
  Json out{{"agreements", std::move(list)}};
  if (!document.empty()) out["document"] = document;
  return out;
}
RecryptBatchRequest RecryptBatchRequest::from_json(const Json& j) {
  return checked([&] {
    const auto& list = json::array_field(j, "agreements", kWhat);
    if (list.empty()) fail(Errc::malformed, "RecryptBatch names no key agreement");
    if (list.size() > kMaxBatchAgreements)
      fail(Errc::too_large, "too many key agreements in one RecryptBatch (at most " +
                                std::to_string(kMaxBatchAgreements) + ")");
    RecryptBatchRequest r;
    for (const Json& a : list) {
      json::require_object(a, kWhat);
      r.agreements.push_back(RecryptAgreement{str(a, "group"), str(a, "key_id"),
                                              jwk::to_public(json::object_field(a, "epk", kWhat))});
    }
    r.document = opt_str(j, "document", kMaxDocumentId);
    return r;
  });
}
Json RecryptBatchResult::to_json() const {
  Json out = answer ? answer->to_json() : Json::object();
  if (review_request != 0) out["review_request"] = review_request;
  out["Status"] = status;
  out["StatusDescription"] = description;
  return out;
}
RecryptBatchResult RecryptBatchResult::from_json(const Json& j) {
  return checked([&] {
    json::require_object(j, kWhat);
    auto st = j.find("Status");
    if (st == j.end() || !st->is_number_integer() || *st < 100 || *st > 599)
      fail(Errc::malformed, "a RecryptBatch result needs an HTTP-range \"Status\"");
    RecryptBatchResult r{st->get<int>(), opt_str(j, "StatusDescription")};
    if (r.status == status::kOk) r.answer = RecryptDataResponse::from_json(j);
    if (r.status == status::kPending)
      r.review_request = ReviewPendingResponse::from_json(j).review_request;
    return r;
  });
}
Json RecryptBatchResponse::to_json() const {
  Json list = Json::array();
  for (const RecryptBatchResult& r : results) list.push_back(r.to_json());
  return Json{{"results", std::move(list)}};
}
RecryptBatchResponse RecryptBatchResponse::from_json(const Json& j) {
  return checked([&] {
    const auto& list = json::array_field(j, "results", kWhat);
    if (list.size() > kMaxBatchAgreements)
      fail(Errc::too_large, "too many results in one RecryptBatch answer");
    RecryptBatchResponse r;
    for (const Json& item : list) r.results.push_back(RecryptBatchResult::from_json(item));
    return r;
  });
}

Json RotateGroupKeyRequest::to_json() const {
  Json out{{"group", group},
           {"profile", profile},
           {"entries", entries_to(entries)},
           {"records", records}};
  profiles_to(out, profiles);
  return out;
}
RotateGroupKeyRequest RotateGroupKeyRequest::from_json(const Json& j) {
  return checked([&] {
    return RotateGroupKeyRequest{str(j, "group"), str(j, "profile", kMaxProfileSize),
                                 entries_from(j, true), records_from(j, true), profiles_from(j)};
  });
}
Json RotateGroupKeyResponse::to_json() const { return Json{{"key_id", key_id}}; }
RotateGroupKeyResponse RotateGroupKeyResponse::from_json(const Json& j) {
  return checked([&] { return RotateGroupKeyResponse{str(j, "key_id")}; });
}

Json ReadMembershipRequest::to_json() const {
  return Json{{"group", group}, {"from", from}, {"limit", limit}};
}
ReadMembershipRequest ReadMembershipRequest::from_json(const Json& j) {
  return checked([&] {
    ReadMembershipRequest r{str(j, "group")};
    if (j.contains("from")) r.from = json::uint_field(j, "from", kWhat);
    if (j.contains("limit")) r.limit = json::uint_field(j, "limit", kWhat);
    if (r.limit == 0 || r.limit > kMaxRecordsPerRequest)
      fail(Errc::malformed, "limit must be 1..1000");
    return r;
  });
}
Json ReadMembershipResponse::to_json() const {
  return Json{{"group", group}, {"length", length}, {"records", records}};
}
ReadMembershipResponse ReadMembershipResponse::from_json(const Json& j) {
  return checked([&] {
    return ReadMembershipResponse{str(j, "group"), json::uint_field(j, "length", kWhat),
                                  records_from(j, true)};
  });
}

Json MigrateMembershipRequest::to_json() const {
  return Json{{"group", group}, {"records", records}};
}
MigrateMembershipRequest MigrateMembershipRequest::from_json(const Json& j) {
  return checked([&] {
    MigrateMembershipRequest r{str(j, "group"), records_from(j, true)};
    if (r.records.empty())
      fail(Errc::malformed, "MigrateMembership needs the chain's first records");
    return r;
  });
}
Json MigrateMembershipResponse::to_json() const { return Json{{"length", length}}; }
MigrateMembershipResponse MigrateMembershipResponse::from_json(const Json& j) {
  return checked([&] { return MigrateMembershipResponse{json::uint_field(j, "length", kWhat)}; });
}

Json GetAdminKeysRequest::to_json() const { return Json{{"group", group}}; }
GetAdminKeysRequest GetAdminKeysRequest::from_json(const Json& j) {
  return checked([&] { return GetAdminKeysRequest{str(j, "group")}; });
}
Json GetAdminKeysResponse::to_json() const {
  return Json{{"group", group}, {"key_id", key_id}, {"package", package}};
}
GetAdminKeysResponse GetAdminKeysResponse::from_json(const Json& j) {
  return checked([&] {
    return GetAdminKeysResponse{str(j, "group"), str(j, "key_id"),
                                str(j, "package", kMaxAdminPackageSize)};
  });
}

Json AuditRecord::to_json() const {
  Json out{{"seq", seq},       {"time", time},     {"transaction", transaction},
           {"group", group},   {"member", member}, {"device", device},
           {"key_id", key_id}, {"status", status}, {"description", description}};
  if (!document.empty()) out["document"] = document;
  if (!agreement.empty()) out["agreement"] = agreement;
  return out;
}
AuditRecord AuditRecord::from_json(const Json& j) {
  return checked([&] {
    AuditRecord r;
    r.seq = json::uint_field(j, "seq", kWhat);
    r.time = static_cast<std::int64_t>(json::uint_field(j, "time", kWhat));
    r.transaction = opt_str(j, "transaction");
    r.group = opt_str(j, "group");
    r.member = opt_str(j, "member");
    r.device = opt_str(j, "device");
    r.key_id = opt_str(j, "key_id");
    r.status = static_cast<int>(json::uint_field(j, "status", kWhat));
    r.description = opt_str(j, "description", 4096);
    r.document = opt_str(j, "document", kMaxDocumentId);
    r.agreement = opt_str(j, "agreement");
    return r;
  });
}

Json ReadAuditRequest::to_json() const {
  Json out{{"group", group}, {"after", after}, {"limit", limit}};
  if (!agreements.empty()) out["agreements"] = agreements;
  return out;
}
ReadAuditRequest ReadAuditRequest::from_json(const Json& j) {
  return checked([&] {
    ReadAuditRequest r{str(j, "group"), 0, 100};
    if (j.contains("after")) r.after = json::uint_field(j, "after", kWhat);
    if (j.contains("limit")) r.limit = json::uint_field(j, "limit", kWhat);
    if (r.limit == 0 || r.limit > 1000) fail(Errc::malformed, "limit must be 1..1000");
    if (j.contains("agreements")) {
      // Bounded before anything is read: a filter costs one index lookup per id.
      const Json& ids = json::array_field(j, "agreements", kWhat);
      if (ids.empty()) fail(Errc::malformed, "\"agreements\" names no key agreement");
      if (ids.size() > kMaxAgreements)
        fail(Errc::too_large, "\"agreements\" names more than " + std::to_string(kMaxAgreements) +
                                  " key agreements");
      for (const Json& id : ids) {
        if (!id.is_string() || id.get_ref<const std::string&>().empty() ||
            id.get_ref<const std::string&>().size() > kMaxDocumentId)
          fail(Errc::malformed, "\"agreements\" must hold key agreement ids");
        r.agreements.push_back(id.get<std::string>());
      }
    }
    return r;
  });
}
Json ReadAuditResponse::to_json() const {
  Json arr = Json::array();
  for (const AuditRecord& r : records) arr.push_back(r.to_json());
  return Json{{"records", std::move(arr)}};
}
ReadAuditResponse ReadAuditResponse::from_json(const Json& j) {
  return checked([&] {
    ReadAuditResponse r;
    for (const Json& a : json::array_field(j, "records", kWhat))
      r.records.push_back(AuditRecord::from_json(a));
    return r;
  });
}

Json ReviewPendingResponse::to_json() const { return Json{{"review_request", review_request}}; }
ReviewPendingResponse ReviewPendingResponse::from_json(const Json& j) {
  return checked([&] {
    ReviewPendingResponse r{json::uint_field(j, "review_request", kWhat)};
    if (r.review_request == 0) fail(Errc::malformed, "review request 0 names no request");
    return r;
  });
}

bool is_review_state(const std::string& state) {
  return state == "pending" || state == "approved" || state == "denied";
}

Json Review::to_json() const {
  return Json{{"id", id},
              {"member", member},
              {"account", account},
              {"device", device},
              {"key_id", key_id},
              {"agreement", agreement},
              {"document", document},
              {"requested", requested},
              {"state", state},
              {"decided_by", decided_by},
              {"decided", decided}};
}
Review Review::from_json(const Json& j) {
  return checked([&] {
    Review r;
    r.id = json::uint_field(j, "id", kWhat);
    r.member = str(j, "member");
    r.account = opt_str(j, "account");
    r.device = opt_str(j, "device");
    r.key_id = str(j, "key_id");
    r.agreement = str(j, "agreement");
    r.document = opt_str(j, "document", kMaxDocumentId);
    r.requested = static_cast<std::int64_t>(json::uint_field(j, "requested", kWhat));
    r.state = str(j, "state");
    if (!is_review_state(r.state)) fail(Errc::malformed, "unknown review state " + r.state);
    r.decided_by = opt_str(j, "decided_by");
    if (j.contains("decided"))
      r.decided = static_cast<std::int64_t>(json::uint_field(j, "decided", kWhat));
    return r;
  });
}

Json ListReviewsRequest::to_json() const {
  Json out{{"group", group}};
  if (!state.empty()) out["state"] = state;
  return out;
}
ListReviewsRequest ListReviewsRequest::from_json(const Json& j) {
  return checked([&] {
    ListReviewsRequest r{str(j, "group"), opt_str(j, "state")};
    if (!r.state.empty() && !is_review_state(r.state))
      fail(Errc::malformed, "\"state\" must be pending, approved or denied");
    return r;
  });
}
Json ListReviewsResponse::to_json() const {
  Json arr = Json::array();
  for (const Review& r : reviews) arr.push_back(r.to_json());
  return Json{{"group", group}, {"reviews", std::move(arr)}};
}
ListReviewsResponse ListReviewsResponse::from_json(const Json& j) {
  return checked([&] {
    ListReviewsResponse r{str(j, "group"), {}};
    for (const Json& x : json::array_field(j, "reviews", kWhat))
      r.reviews.push_back(Review::from_json(x));
    return r;
  });
}

Json DecideReviewRequest::to_json() const {
  return Json{{"group", group}, {"request", request}, {"approve", approve}};
}
DecideReviewRequest DecideReviewRequest::from_json(const Json& j) {
  return checked([&] {
    DecideReviewRequest r{str(j, "group"), json::uint_field(j, "request", kWhat), false};
    auto it = j.find("approve");
    if (it == j.end() || !it->is_boolean())
      fail(Errc::malformed, "\"approve\" must be true or false");
    r.approve = it->get<bool>();
    return r;
  });
}
Json DecideReviewResponse::to_json() const {
  return Json{{"group", group}, {"review", review.to_json()}};
}
DecideReviewResponse DecideReviewResponse::from_json(const Json& j) {
  return checked([&] {
    return DecideReviewResponse{str(j, "group"),
                                Review::from_json(json::object_field(j, "review", kWhat))};
  });
}

}  // namespace recrypt::service
