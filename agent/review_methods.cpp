// Recryptions held for review at a group's service (docs/SERVICE.md §5b, Review): listed for,
// and decided by, the group's administrators. Members are named as the verified membership
// chain has them; the service's own account names are shown only for ids the chain lacks.
#include "agent/agent.hpp"
#include "protocol/service/messages.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;
using service::MembershipState;

namespace {

bool bool_param(const Json& params, const char* key, std::optional<bool> fallback) {
  auto it = params.find(key);
  if (it == params.end() || it->is_null()) {
    if (fallback) return *fallback;
    throw RpcError(Code::invalid_params, std::string("\"") + key + "\" is required");
  }
  if (!it->is_boolean())
    throw RpcError(Code::invalid_params, std::string("\"") + key + "\" must be true or false");
  return it->get<bool>();
}

std::string account_in(const MembershipState& chain, const std::string& id,
                       const std::string& otherwise) {
  auto it = chain.members().find(id);
  return it == chain.members().end() ? otherwise : it->second.account;
}

Json review_json(const service::Review& r, const MembershipState& chain) {
  Json out = r.to_json();
  out["account"] = account_in(chain, r.member, r.account);
  if (!r.decided_by.empty())
    out["decided_by_account"] = account_in(chain, r.decided_by, r.decided_by);
  return out;
}

}  // namespace

Json Agent::group_reviews(const Json& params) {
  AdminGroup g = require_admin_group(params);
  bool all = bool_param(params, "all", false);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  auto response = link->list_reviews(service::ListReviewsRequest{g.group_id, all ? "" : "pending"});
  if (response.group != g.group_id)
    throw RpcError(Code::refused, "the service answered another group for " + g.name);
  Json reviews = Json::array();
  for (const auto& r : response.reviews) reviews.push_back(review_json(r, chain));
  return Json{{"group", g.name}, {"reviews", std::move(reviews)}};
}

Json Agent::group_review_decide(const Json& params) {
  AdminGroup g = require_admin_group(params);
  auto request = params.find("request");
  if (request == params.end() || !request->is_number_unsigned() ||
      request->get<std::uint64_t>() == 0)
    throw RpcError(Code::invalid_params, "\"request\" must be a review request's id (a number)");
  bool approve = bool_param(params, "approve", std::nullopt);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  auto response = link->decide_review(
      service::DecideReviewRequest{g.group_id, request->get<std::uint64_t>(), approve});
  if (response.group != g.group_id || response.review.id != request->get<std::uint64_t>())
    throw RpcError(Code::refused, "the service answered for another review request");
  return Json{{"group", g.name}, {"review", review_json(response.review, chain)}};
}

}  // namespace recrypt::agent
