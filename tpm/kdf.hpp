// The two key derivation functions of TPM 2.0 Part 1 §11.4.10, over SHA-256 (the nameAlg of
// our storage parent). Software only, so that the admin side needs no TPM.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::tpm {

// KDFa: SP 800-108 counter mode with HMAC-SHA-256. Each block is
// HMAC(key, [i]32 || label || 0x00 || context_u || context_v || [bits]32), i from 1.
SecureBytes kdfa_sha256(ByteView key, std::string_view label, ByteView context_u,
                        ByteView context_v, std::size_t bits);

// KDFe: SP 800-56A concatenation KDF with SHA-256. Each block is
// SHA256([i]32 || z || label || 0x00 || party_u || party_v), i from 1.
SecureBytes kdfe_sha256(ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                        std::size_t bits);

}  // namespace recrypt::tpm
