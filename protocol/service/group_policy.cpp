#include "protocol/service/group_policy.hpp"

#include <algorithm>
#include <limits>

#include "base/error.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

constexpr std::size_t kMaxId = 1024;

[[noreturn]] void malformed(const std::string& why) {
  refuse(status::kMalformed, "group policy: " + why);
}

void only_members(const Json& j, std::initializer_list<std::string_view> known,
                  const std::string& where) {
  if (!j.is_object()) malformed(where + " must be an object");
  for (const auto& [name, value] : j.items())
    if (std::find(known.begin(), known.end(), name) == known.end())
      malformed("unknown setting \"" + name + "\"" + (where.empty() ? "" : " in " + where));
}

bool flag(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if (!it->is_boolean()) malformed("\"" + std::string(key) + "\" must be true or false");
  return it->get<bool>();
}

std::uint32_t count(const Json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end()) return 0;
  if (!it->is_number_unsigned() ||
      it->get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max())
    malformed("\"" + std::string(key) + "\" must be a count from 0 (no limit) to 2^32-1");
  return static_cast<std::uint32_t>(it->get<std::uint64_t>());
}

Quota quota_from(const Json& j, const std::string& where) {
  only_members(j, {"per_hour", "per_day"}, where);
  return {count(j, "per_hour"), count(j, "per_day")};
}

Json quota_to(const Quota& q) { return Json{{"per_hour", q.per_hour}, {"per_day", q.per_day}}; }

}  // namespace

const Quota& GroupPolicy::quota_for(const std::string& member) const {
  auto it = member_quotas.find(member);
  return it == member_quotas.end() ? quota : it->second;
}

bool GroupPolicy::reviews(const std::string& key_id) const {
  return review || std::find(review_keys.begin(), review_keys.end(), key_id) != review_keys.end();
}

Json GroupPolicy::to_json() const {
  Json members = Json::object();
  for (const auto& [id, q] : member_quotas) members[id] = quota_to(q);
  return Json{{"hidden_membership", hidden_membership},
              {"rotate_on_revoke", rotate_on_revoke},
              {"review", review},
              {"review_keys", review_keys},
              {"quota", quota_to(quota)},
              {"member_quotas", std::move(members)}};
}

GroupPolicy GroupPolicy::from_json(const Json& j) {
  only_members(
      j,
      {"hidden_membership", "rotate_on_revoke", "review", "review_keys", "quota", "member_quotas"},
      "");
  GroupPolicy p;
  p.hidden_membership = flag(j, "hidden_membership");
  p.rotate_on_revoke = flag(j, "rotate_on_revoke");
  p.review = flag(j, "review");
  if (auto it = j.find("review_keys"); it != j.end()) {
    if (!it->is_array() || it->size() > kMaxReviewKeys)
      malformed("\"review_keys\" must be an array of at most " + std::to_string(kMaxReviewKeys) +
                " key ids");
    for (const Json& k : *it) {
      if (!k.is_string() || k.get_ref<const std::string&>().empty() ||
          k.get_ref<const std::string&>().size() > kMaxId)
        malformed("a review key must be a key id");
      p.review_keys.push_back(k.get<std::string>());
    }
  }
  if (auto it = j.find("quota"); it != j.end()) p.quota = quota_from(*it, "quota");
  if (auto it = j.find("member_quotas"); it != j.end()) {
    if (!it->is_object() || it->size() > kMaxMemberQuotas)
      malformed("\"member_quotas\" must be an object of at most " +
                std::to_string(kMaxMemberQuotas) + " members");
    for (const auto& [id, q] : it->items()) {
      if (id.empty() || id.size() > kMaxId) malformed("a member quota must name a profile id");
      p.member_quotas[id] = quota_from(q, "the quota of " + id);
    }
  }
  return p;
}

}  // namespace recrypt::service
