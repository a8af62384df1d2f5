// Admin side of resident member shares: wraps a share scalar so that exactly one TPM can
// import it, given only that TPM's storage-parent public key. Pure software (OpenSSL, and
// tss2-mu for the TPM structures): the administrator needs no TPM, and the share never exists
// in the clear on the member's host.
//
// The construction is TPM 2.0 duplication with an outer wrapper only (what
// `tpm2_duplicate -T none -U parent.pub` produces); docs/TPM.md gives the byte layout.
#pragma once

#include <string_view>

#include "backend/backend.hpp"
#include "base/bytes.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::tpm {

// The public half of a member TPM's storage parent (our SRK template: ECC P-256, nameAlg
// SHA-256, AES-128-CFB). That is all the wrapping needs; a device profile publishes it.
struct TpmParentPublic {
  Point key;

  // The marshalled TPM2B_PUBLIC of the parent (the `parent.pub` of tpm2-tools, what
  // `tpm2_readpublic -o` writes and `tpm2_duplicate -U` reads), and back. Parsing accepts only
  // an ECC P-256 restricted decrypt key with nameAlg SHA-256 and AES-128-CFB, the only kind
  // this wrapping is defined for; anything else is Error(unsupported) or Error(malformed).
  Bytes to_tpm2b_public() const;
  static TpmParentPublic from_tpm2b_public(ByteView data);
};

inline constexpr std::string_view kDuplicateFormat = "tpm2-duplicate-v1";

backend::WrappedShare wrap_share_for_tpm(const TpmParentPublic& parent, const Scalar& share);

// The marshalled TPMT_PUBLIC of a resident share with this public point: ECC P-256, nameAlg
// SHA-256, userWithAuth|noDA|decrypt, no scheme (ECDH_ZGen only). Not fixedTPM/fixedParent:
// a TPM refuses to import such an object.
Bytes share_public_area(const Point& point);

}  // namespace recrypt::tpm
