// A group as the recipient of a document: from its signed profile, which the agent hands out
// (group.recipient) or a file holds (`recrypt group export`). Encryption itself needs no
// agent: the profile carries the group's key A and where it recrypts.
#pragma once

#include <string>

#include "client/agent_client.hpp"
#include "protocol/jwe.hpp"

namespace recrypt::client {

// Checks the profile's self-signature; Error(malformed) saying why when it does not verify.
jwe::RecipientKey recipient_from_profile(const std::string& signed_group_profile);

// The group `name` (a name or a fingerprint) as the agent looks it up (group.recipient). A
// name is never tried as a file: a file someone left in the current folder under a group's
// name would otherwise silently become the recipient.
jwe::RecipientKey group_recipient(AgentClient& agent, const std::string& name);

}  // namespace recrypt::client
