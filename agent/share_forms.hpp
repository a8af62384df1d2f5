// The forms in which a member's share reaches each of its devices (the strings the service
// keeps, opaque to it, in a member entry's wrapped_shares):
//   - wrapped: a JWE of the share as a private JWK to the device's encryption key. The
//     member's agent opens it with one device ECDH and computes x·T in its own memory.
//   - resident: {"resident":{"format":F,"data":BASE64URL,"public":JWK of x·G},"jwe":JWE?}
//     a blob only the device's hardware can import (a TPM duplication blob to the device's
//     storage parent, or a PKCS#11 AES-key-wrapped key for in-token unwrapping); the agent
//     imports it once and x·T runs on the device from then on. For a TPM there is no "jwe",
//     so the share never exists in the clear on the member's host; a PKCS#11 device also gets
//     the JWE, for tokens that cannot unwrap keys (PIV cards).
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
service::MemberEntry member_entry_for(const service::PersonalProfile& member, service::Privileges privileges,
                                      service::MemberStatus status, const Scalar& group_secret);

// Member side: what a device received.
struct ShareForm {
  std::optional<backend::WrappedShare> resident;
  std::optional<Point> resident_public;  // x·G, to check an import
  std::optional<std::string> jwe;
};
ShareForm parse_share_form(const std::string& value);

}  // namespace recrypt::agent
