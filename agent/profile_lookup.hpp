// Fetching other people's profiles from a service without taking its word for who they are:
// a profile asked for by id must have that id, one asked for by account must name that account,
// and an account is pinned to the fingerprint first confirmed for it (known_profiles.hpp).
#pragma once

#include <string>

#include "agent/known_profiles.hpp"
#include "protocol/service/profile.hpp"
#include "service/client/client.hpp"

namespace recrypt::agent {

// Each sets `*token`, when given, to the signed profile as the service answered it.

// By full profile id, as a membership chain names members.
service::PersonalProfile fetch_profile_by_id(service::Client& link, const std::string& id,
                                             std::string* token = nullptr);
// By account name or by a typed fingerprint (any prefix of at least 100 bits).
service::PersonalProfile fetch_profile(service::Client& link,
                                       const std::string& account_or_fingerprint,
                                       std::string* token = nullptr);

// The member to add: fetched as fetch_profile does; `fingerprint`, when given, must match it;
// without one the account must be pinned already. The account is pinned to the result.
service::PersonalProfile fetch_confirmed_profile(service::Client& link, KnownProfiles& known,
                                                 const std::string& account_or_fingerprint,
                                                 const std::optional<std::string>& fingerprint,
                                                 std::string* token = nullptr);

}  // namespace recrypt::agent
