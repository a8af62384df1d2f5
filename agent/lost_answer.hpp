// A membership change whose answer was lost (service::OutcomeUnknown: the instance crashed or
// the connection broke after the request went out) is settled by reading the chain back, not
// by guessing: the record is there → it was applied; the place is empty → it is sent again;
// another record took the place → 409, as for an administrator who lost a race.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "service/client/client.hpp"

namespace recrypt::agent {

// Runs `send`, which posts the change carrying `token`, record `seq` of `group_id`'s chain,
// and settles a lost answer as above (at most twice). Sending the record again cannot apply
// it twice: it names the head it extends, so a copy that arrives late is refused (409), and
// that refusal is settled by reading back too. Throws the lost answer's OutcomeUnknown when
// the chain cannot be read either.
void send_membership_change(service::Client& link, const std::string& group_id, std::uint64_t seq,
                            const std::string& token, const std::function<void()>& send);

}  // namespace recrypt::agent
