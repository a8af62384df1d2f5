// How a PIN becomes the auth value of a sealed object.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include "base/bytes.hpp"

namespace recrypt::tpm {

// The PIN's UTF-8 bytes when they fit the nameAlg's digest size (32 bytes), the limit of an
// auth value; else SHA-256 of the PIN, so that any length works. Trailing zero octets are
// removed as the specification asks of auth values; HMAC zero-pads its key, so this changes no
// authorisation, but it keeps the stored value the same for every client that follows the rule.
void auth_from_pin(const SecureString& pin, TPM2B_AUTH& auth);

}  // namespace recrypt::tpm
