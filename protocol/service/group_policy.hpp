// A group's policy at its recryption service (docs/SERVICE.md §4.12): what the service enforces
// on its own members' requests, set by an administrator with SetPolicy. Every rule only ever
// withholds a recryption or a view; none can give anyone more than the membership chain does,
// so the service, which already decides whether to answer, is the right place to keep them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/json.hpp"

namespace recrypt::service {

inline constexpr std::size_t kMaxMemberQuotas = 1000;
inline constexpr std::size_t kMaxReviewKeys = 64;

// Recryptions a member may ask for in a sliding hour and day; 0 is no limit.
struct Quota {
  std::uint32_t per_hour = 0;
  std::uint32_t per_day = 0;
  bool unlimited() const { return per_hour == 0 && per_day == 0; }
  friend bool operator==(const Quota&, const Quota&) = default;
};

struct GroupPolicy {
  // Members see only their own entry (GetGroup) and no membership chain; ADMINs see all.
  bool hidden_membership = false;
  // Administrators' agents rotate the group key with every revocation.
  bool rotate_on_revoke = false;
  // Every recryption waits for an administrator's approval (review), or only those under the
  // group keys listed in review_keys.
  bool review = false;
  std::vector<std::string> review_keys;
  // The default for every member, and members' own quotas (profile id -> quota) over it.
  Quota quota;
  std::map<std::string, Quota> member_quotas;

  const Quota& quota_for(const std::string& member) const;
  bool reviews(const std::string& key_id) const;

  Json to_json() const;
  // Strict: an unknown member is refused (400), since a rule the service skipped would leave
  // the administrator believing it holds.
  static GroupPolicy from_json(const Json& j);
  friend bool operator==(const GroupPolicy&, const GroupPolicy&) = default;
};

}  // namespace recrypt::service
