// How a PIN becomes the auth value of a sealed object.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include "protocol/bytes.hpp"

namespace recrypt::tpm {

// The PIN's UTF-8 bytes when they fit the nameAlg's digest size (32 bytes), the limit of an
// auth value; else SHA-256 of the PIN, so that any length works. A text PIN has no zero
// octets, so the TPM's trimming of trailing zeros from auth values never changes it.
void auth_from_pin(const SecureString& pin, TPM2B_AUTH& auth);

}  // namespace recrypt::tpm
