// Brings this agent's verified copy of a group's membership chain up to the service's head.
// The copy (Home::load_membership) is what the agent believes; the service only supplies
// records, each checked by the chain's rules before it counts. A service whose chain is
// shorter than the copy, or whose record at the copy's head differs, is refused: it dropped
// records or forked the chain.
#pragma once

#include <optional>
#include <string>

#include "protocol/service/membership.hpp"
#include "service/client/client.hpp"

namespace recrypt::agent {

// Throws agent_rpc::RpcError(refused) naming what the service got wrong.
service::MembershipState sync_membership(service::Client& link, const std::string& group_id,
                                         const std::string& group_name,
                                         std::optional<service::MembershipState> known);

}  // namespace recrypt::agent
