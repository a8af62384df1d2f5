// Admin side of resident member shares: wraps a share scalar so that exactly one TPM can
// import it, given only that TPM's storage-parent public key. Pure software (OpenSSL, and
// tss2-mu for the TPM structures): the administrator needs no TPM, and the share never exists
// in the clear on the member's host.
//
// The construction is TPM 2.0 duplication with an outer wrapper only (tpm/duplication.hpp);
// docs/TPM.md gives the byte layout.
#pragma once

#include <string_view>

#include "backend/backend.hpp"
#include "base/bytes.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"
#include "tpm/duplication.hpp"

namespace recrypt::tpm {

inline constexpr std::string_view kDuplicateFormat = "tpm2-duplicate-v1";

backend::WrappedShare wrap_share_for_tpm(const TpmParentPublic& parent, const Scalar& share);

// The marshalled TPMT_PUBLIC of a resident share with this public point: ECC P-256, nameAlg
// SHA-256, userWithAuth|noDA|decrypt, no scheme (ECDH_ZGen only). Not fixedTPM/fixedParent:
// a TPM refuses to import such an object.
Bytes share_public_area(const Point& point);

}  // namespace recrypt::tpm
