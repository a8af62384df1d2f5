// The public-area templates of every object the backend makes, in one place so that docs/TPM.md
// can be checked against one file.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include "backend/backend.hpp"
#include "protocol/point.hpp"

namespace recrypt::tpm {

// Storage parent: the TCG "SRK" ECC P-256 template that tpm2-tools and the FAPI use (restricted
// decrypt, AES-128-CFB, fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|noDA, unique all
// zero). CreatePrimary is deterministic, so every instance re-creates the same key.
TPM2B_PUBLIC srk_template();

// A device key made inside the TPM: ECC P-256, fixedTPM|fixedParent|sensitiveDataOrigin|
// userWithAuth|noDA, and decrypt (ECDH_ZGen, no scheme) or sign (ECDSA SHA-256). With
// `pin_auth` the key is not noDA: its auth value comes from a PIN, and wrong PINs must count
// towards the dictionary-attack lockout.
TPM2B_PUBLIC device_key_template(backend::KeyPurpose purpose, bool pin_auth = false);

// A sealed data object: KEYEDHASH without sign or decrypt, fixedTPM|fixedParent|userWithAuth;
// dictionary-attack protected (no noDA) because its auth value comes from the user's PIN.
TPM2B_PUBLIC sealed_object_template();

// A sealed data object made outside the TPM and duplicated to it (wrap_secret_for_tpm):
// KEYEDHASH without sign or decrypt, nameAlg SHA-256, no policy, kImportedSealedAttributes.
// `unique` is left empty: it is the digest of the object's seed and data, filled in by whoever
// makes the sensitive area.
TPM2B_PUBLIC imported_sealed_template();

// A member share's public area with its public point: ECC P-256, nameAlg SHA-256,
// userWithAuth|noDA|decrypt, no scheme (ECDH_ZGen only), no policy. Not fixedTPM/fixedParent:
// a TPM refuses to import such an object.
TPM2B_PUBLIC share_public(const Point& point);

// The P-256 public point in an ECC public area; Error(invalid_key) when it is not one.
Point point_from_public(const TPM2B_PUBLIC& pub);

// A P-256 point as the TPM writes one: both coordinates, 32 bytes each.
TPMS_ECC_POINT ecc_point(const Point& p);

// Bit mask of the attributes a resident share must have, and nothing more (checked on import
// so that a crafted blob cannot bring a storage or signing key in).
inline constexpr TPMA_OBJECT kShareAttributes =
    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA | TPMA_OBJECT_DECRYPT;

// Bit mask of the attributes of an imported sealed object, and nothing more (checked before
// TPM2_Import). userWithAuth: unsealed with its auth value, which TPM2_ObjectChangeAuth sets to
// the user's PIN at import. Not noDA: wrong PINs count towards the dictionary-attack lockout,
// as for seal(). Not fixedTPM/fixedParent: a TPM refuses to import such an object; it still
// cannot be duplicated further, since duplication needs a policy and its authPolicy is empty.
inline constexpr TPMA_OBJECT kImportedSealedAttributes = TPMA_OBJECT_USERWITHAUTH;

}  // namespace recrypt::tpm
