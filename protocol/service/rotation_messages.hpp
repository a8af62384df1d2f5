// A group key rotation in steps (docs/SERVICE.md §5), for a group whose new entries do not
// fit one RotateGroupKey: BeginRotation states the new group profile and the signed rotate
// record; AddRotationEntries brings the members' entries of the new key a page at a time;
// CommitRotation applies everything in one transaction. Until then the group serves its old
// key, and no member sees a staged entry. AbandonRotation drops a rotation under way.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/service/member_entry.hpp"

namespace recrypt::service {

struct BeginRotationRequest {
  static constexpr std::string_view kName = "BeginRotation";
  std::string group;
  std::string profile;  // new A as encryption_key, the old one among the past keys
  std::string record;   // the signed "rotate" record naming the new key
  Json to_json() const;
  static BeginRotationRequest from_json(const Json& j);
};
struct BeginRotationResponse {
  std::string key_id;
  // Entries already staged: non-zero when the same rotation (same profile and record) was
  // begun before and is resumed.
  std::uint64_t staged = 0;
  Json to_json() const;
  static BeginRotationResponse from_json(const Json& j);
};

struct AddRotationEntriesRequest {
  static constexpr std::string_view kName = "AddRotationEntries";
  std::string group;
  std::string key_id;                // the rotation's new key
  std::vector<MemberEntry> entries;  // at most kMaxEntriesPerRequest; a member's again replaces
  // Current signed personal profiles of these members whose home is another service.
  std::vector<std::string> profiles = {};
  Json to_json() const;
  static AddRotationEntriesRequest from_json(const Json& j);
};
struct AddRotationEntriesResponse {
  std::uint64_t staged = 0;  // entries staged for the rotation so far
  Json to_json() const;
  static AddRotationEntriesResponse from_json(const Json& j);
};

struct CommitRotationRequest {
  static constexpr std::string_view kName = "CommitRotation";
  std::string group;
  std::string key_id;
  Json to_json() const;
  static CommitRotationRequest from_json(const Json& j);
};
struct CommitRotationResponse {
  std::string key_id;
  std::uint64_t entries = 0;  // the members' entries the commit applied
  Json to_json() const;
  static CommitRotationResponse from_json(const Json& j);
};

struct AbandonRotationRequest {
  static constexpr std::string_view kName = "AbandonRotation";
  std::string group;
  Json to_json() const;
  static AbandonRotationRequest from_json(const Json& j);
};
struct AbandonRotationResponse {
  std::string key_id;  // the abandoned rotation's new key; empty when none was under way
  Json to_json() const;
  static AbandonRotationResponse from_json(const Json& j);
};

}  // namespace recrypt::service
