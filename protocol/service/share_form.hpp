// The forms in which a member's share reaches one of its devices: the strings a member
// entry's wrapped_shares holds and RecryptData returns. The service only checks them.
//   - wrapped: a JWE (wrap_share()) of the share as a private JWK, to the device's
//     encryption key. The member's agent opens it with one device ECDH.
//   - resident: {"resident":{"format":F,"data":BASE64URL,"public":JWK of x·G},"jwe":JWE?}
//     a blob only the device's hardware can import (F names the construction: a TPM
//     duplication blob, docs/TPM.md; a PKCS#11 wrapped key, docs/PKCS11.md). "jwe" is the
//     wrapped form beside it, for hardware that turns out unable to import; without it the
//     share never exists in the clear on the member's host.
#pragma once

#include <optional>
#include <string>

#include "base/bytes.hpp"
#include "protocol/jwe.hpp"
#include "protocol/point.hpp"

namespace recrypt::service {

// The protected "cty" of a wrapped share's JWE. Readers check it both ways: a share is opened
// only from a JWE of this type, and the agent's document.open refuses a JWE of this type (its
// plaintext is the share itself).
inline constexpr std::string_view kWrappedShareType = "recrypt-share+jwk";

// Error(malformed) unless `envelope`'s protected "cty" is kWrappedShareType.
void require_wrapped_share_type(const jwe::Envelope& envelope);

struct ResidentShare {
  std::string format;
  Bytes data;
  Point share_public;  // x·G, to check an import
};

struct ShareForm {
  std::optional<ResidentShare> resident;
  std::optional<std::string> jwe;
};

// Parses and checks (the JWE too); Error(malformed) otherwise.
ShareForm parse_share_form(const std::string& value);
std::string resident_share_form(const ResidentShare& resident,
                                const std::optional<std::string>& jwe);

}  // namespace recrypt::service
