// Admin side of share distribution: the form each of a member's devices receives its share
// in (protocol/service/share_form.hpp): resident where the device's hardware can import it.
#pragma once

#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::agent {

// Admin side: a member entry for `member` with a fresh split of `group_secret`, the share in
// the best form each device of the member's profile can take.
service::MemberEntry member_entry_for(const service::PersonalProfile& member,
                                      service::Privileges privileges, service::MemberStatus status,
                                      const Scalar& group_secret);

}  // namespace recrypt::agent
