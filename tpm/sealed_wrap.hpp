// Secrets sealed for another device's TPM: an administrator's host wraps a group key a or a
// group's signing key (a 32-byte scalar) for a co-administrator's TPM, given only that TPM's
// storage-parent public key; that TPM imports it as a sealed data object under a PIN of its
// user's choosing, and TpmBackend::unseal opens it like a seal() blob. Pure software on the
// sending side, and the secret never in the clear on the receiving host.
//
// Format "tpm2-duplicate-sealed-v1" (docs/TPM.md, "Sealed secrets from another device"): the
// duplicate, outer wrapper only (tpm/duplication.hpp), of a KEYEDHASH sealed data object with
// an empty auth value, behind the label it was wrapped under.
#pragma once

#include <string_view>

#include "backend/backend.hpp"
#include "base/bytes.hpp"
#include "tpm/duplication.hpp"

namespace recrypt::tpm {

inline constexpr std::string_view kDuplicateSealedFormat = "tpm2-duplicate-sealed-v1";

// `secret` (1 to 128 bytes, a TPM's MAX_SYM_DATA) wrapped for the TPM whose storage parent is
// `parent`. Error(unsupported) for a secret of another size.
backend::WrappedShare wrap_secret_for_tpm(const TpmParentPublic& parent, std::string_view label,
                                          ByteView secret);

// What the receiving backend checks before TPM2_Import: the public area is one
// wrap_secret_for_tpm makes (KEYEDHASH, nameAlg SHA-256, no scheme, no policy, exactly
// kImportedSealedAttributes, a SHA-256 unique), so that a crafted blob cannot bring in an
// HMAC key, a parent or an object that could be duplicated onwards. Error(unsupported) if not.
void require_imported_sealed_public(const TPM2B_PUBLIC& pub);

}  // namespace recrypt::tpm
