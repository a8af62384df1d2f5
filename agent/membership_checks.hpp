// What an administering agent checks of a membership change before it sends anything: the
// change follows the chain's rules (the same check_record the service and every agent apply),
// and the member it names is in the verified chain. Refusals are RpcErrors in the rules' words.
#pragma once

#include <string>
#include <vector>

#include "protocol/service/membership.hpp"
#include "protocol/service/messages.hpp"

namespace recrypt::agent {

// Appends the records to a copy of the chain; RpcError(refused) with the broken rule's words.
void check_locally(const service::MembershipState& chain, const std::vector<std::string>& tokens);
inline void check_locally(const service::MembershipState& chain, const std::string& token) {
  check_locally(chain, std::vector<std::string>{token});
}

// The member (profile id, a typed prefix of one, or account) as the chain has it;
// RpcError(not_found) "<member> is not a member of <group> (by its membership chain)".
service::MemberChange chain_member(const service::MembershipState& chain, const std::string& member,
                                   const std::string& group_name);

// The group's policy hides its membership from this caller, who is no administrator there: it
// reads no chain, only its own entry, as the service states it (docs/SERVICE.md §5b).
inline bool membership_hidden_from_caller(const service::GetGroupResponse& g) {
  return g.hidden_membership && !g.policy;
}

// ADMIN or SUPER: the privileges that come with the group's keys.
inline bool holds_power(const service::Privileges& p) { return p.admin || p.super; }

}  // namespace recrypt::agent
