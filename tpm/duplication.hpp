// TPM 2.0 duplication done in software, for a storage parent known only by its public key:
// how an administrator's host sends one TPM an object (a member share, a sealed secret) that
// only that TPM can import. Outer wrapper only (what `tpm2_duplicate -T none -U parent.pub`
// produces): no inner wrapper, no duplication authority. docs/TPM.md gives the construction.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include "base/bytes.hpp"
#include "protocol/point.hpp"
#include "tpm/marshal.hpp"

namespace recrypt::tpm {

// The public half of a TPM's storage parent (our SRK template: ECC P-256, nameAlg SHA-256,
// AES-128-CFB). That is all duplication needs; a device profile publishes it.
struct TpmParentPublic {
  Point key;

  // The marshalled TPM2B_PUBLIC of the parent (the `parent.pub` of tpm2-tools, what
  // `tpm2_readpublic -o` writes and `tpm2_duplicate -U` reads), and back. Parsing accepts only
  // an ECC P-256 restricted decrypt key with nameAlg SHA-256 and AES-128-CFB, the only kind
  // this duplication is defined for; anything else is Error(unsupported) or Error(malformed).
  Bytes to_tpm2b_public() const;
  static TpmParentPublic from_tpm2b_public(ByteView data);
};

// The object with public area `pub` and sensitive area `sensitive`, duplicated for `parent`:
// a fresh seed by one-pass ECDH to the parent's key, the marshalled TPM2B_SENSITIVE encrypted
// under KDFa(seed, "STORAGE", Name) and authenticated, with the object's Name, under
// KDFa(seed, "INTEGRITY"). The parent's TPM refuses it at TPM2_Import when the public area was
// swapped or the sensitive area touched, and any other TPM when it is not that parent's.
DuplicateBlob duplicate_for_parent(const TpmParentPublic& parent, const TPM2B_PUBLIC& pub,
                                   const TPMT_SENSITIVE& sensitive);

}  // namespace recrypt::tpm
