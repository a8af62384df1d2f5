// A group's policy at its service (docs/SERVICE.md §4.12): shown to and changed by its
// administrators. The agent reads the policy the service holds, applies the requested changes
// and sends the whole of it back; members are named by account or fingerprint and stored by
// profile id, as the verified membership chain has them.
#include "agent/agent.hpp"
#include "agent/membership_checks.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;
using service::GroupPolicy;
using service::MembershipState;

namespace {

bool bool_param(const Json& changes, const char* key, bool current) {
  auto it = changes.find(key);
  if (it == changes.end() || it->is_null()) return current;
  if (!it->is_boolean())
    throw RpcError(Code::invalid_params, std::string("\"") + key + "\" must be true or false");
  return it->get<bool>();
}

service::Quota quota_param(const Json& j, const std::string& where) {
  try {
    GroupPolicy p = GroupPolicy::from_json(Json{{"quota", j}});
    return p.quota;
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::invalid_params, where + ": " + e.what());
  }
}

// The policy with each member's account beside its quota, for people reading it.
Json policy_json(const GroupPolicy& p, const MembershipState& chain) {
  Json out = p.to_json();
  Json members = Json::array();
  for (const auto& [id, q] : p.member_quotas) {
    auto it = chain.members().find(id);
    members.push_back(Json{{"member", id},
                           {"account", it == chain.members().end() ? "" : it->second.account},
                           {"per_hour", q.per_hour},
                           {"per_day", q.per_day}});
  }
  out["member_quotas"] = std::move(members);
  return out;
}

}  // namespace

GroupPolicy Agent::group_policy_of(service::Client& link, const AdminGroup& g) {
  auto current = link.get_group(service::GetGroupRequest{g.group_id});
  if (current.group != g.group_id)
    throw RpcError(Code::refused, "the service answered another group for " + g.name);
  if (!current.policy)
    throw RpcError(Code::refused, "the service shows group " + g.name +
                                      "'s policy to administrators only, and does not count "
                                      "this user as one");
  return *current.policy;
}

Json Agent::group_policy(const Json& params) {
  AdminGroup g = require_admin_group(params);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  return Json{{"group", g.name}, {"policy", policy_json(group_policy_of(link, g), chain)}};
}

Json Agent::group_set_policy(const Json& params) {
  AdminGroup g = require_admin_group(params);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  GroupPolicy policy = group_policy_of(link, g);

  policy.hidden_membership = bool_param(params, "hidden_membership", policy.hidden_membership);
  policy.rotate_on_revoke = bool_param(params, "rotate_on_revoke", policy.rotate_on_revoke);
  policy.review = bool_param(params, "review", policy.review);
  if (auto it = params.find("review_keys"); it != params.end() && !it->is_null()) {
    if (!it->is_array())
      throw RpcError(Code::invalid_params, "\"review_keys\" must be an array of key ids");
    policy.review_keys.clear();
    for (const Json& k : *it) {
      if (!k.is_string())
        throw RpcError(Code::invalid_params, "\"review_keys\" must be an array of key ids");
      policy.review_keys.push_back(k.get<std::string>());
    }
  }
  if (auto it = params.find("quota"); it != params.end() && !it->is_null())
    policy.quota = quota_param(*it, "quota");
  // {"alice@example.com": {"per_hour": 3}, "bob@example.com": null}: null drops the member's
  // own quota, so the group's default applies again.
  if (auto it = params.find("member_quotas"); it != params.end() && !it->is_null()) {
    if (!it->is_object())
      throw RpcError(Code::invalid_params,
                     "\"member_quotas\" must map members to quotas (or null to drop one)");
    for (const auto& [member, quota] : it->items()) {
      const std::string id = chain_member(chain, member, g.name).member;
      if (quota.is_null())
        policy.member_quotas.erase(id);
      else
        policy.member_quotas[id] = quota_param(quota, "quota of " + member);
    }
  }
  auto response = link->set_policy(service::SetPolicyRequest{g.group_id, policy});
  return Json{{"group", g.name}, {"policy", policy_json(response.policy, chain)}};
}

}  // namespace recrypt::agent
