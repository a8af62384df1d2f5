#include "agent/membership_checks.hpp"

#include "protocol/agent/rpc.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

void check_locally(const service::MembershipState& chain, const std::vector<std::string>& tokens) {
  service::MembershipState copy = chain;
  try {
    for (const auto& token : tokens) copy.append(token);
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::refused, e.what());
  }
}

service::MemberChange chain_member(const service::MembershipState& chain, const std::string& member,
                                   const std::string& group_name) {
  auto m = chain.find(member);
  if (!m)
    throw RpcError(Code::not_found,
                   member + " is not a member of " + group_name + " (by its membership chain)");
  return *m;
}

}  // namespace recrypt::agent
