// Every TPM 2.0 structure the TPM backend turns into bytes or reads from bytes goes through
// here, and here only through tss2-mu (Tss2_MU_*): one marshaller, one parser. Also the byte
// formats the backend stores or hands out, built from those structures behind a 4-byte magic
// and a version byte. docs/TPM.md has the layouts.
//   key file      "RCTK" 01 | purpose u8 | flags u8 (bit 0 resident share, bit 1 PIN) |
//                 label (u16 len + UTF-8) |
//                 TPM2B_PUBLIC | TPM2B_PRIVATE
//   sealed blob   "RCTS" 01 | label (u16 len + UTF-8) | TPM2B_PUBLIC | TPM2B_PRIVATE
//   duplicate     "RCTD" 01 | TPM2B_PUBLIC | TPM2B_PRIVATE | TPM2B_ENCRYPTED_SECRET
//   duplicate of  "RCTW" 01 | label (u16 len + UTF-8) |
//   a sealed             TPM2B_PUBLIC | TPM2B_PRIVATE | TPM2B_ENCRYPTED_SECRET
//   secret
//
// Readers refuse data that runs out (Error(truncated)), does not parse, has a size field that
// disagrees with what it frames, or has trailing bytes (Error(malformed)); the message names
// the format and the structure. A TPM2B_PUBLIC is read as its size and then a TPMT_PUBLIC of
// exactly that size: tss2-mu's own TPM2B_PUBLIC reader ignores a TPMT_PUBLIC that fails to
// parse in 3.2.1 (Debian 12; fixed in 4.2.0, GHSA-p3px-r4mm-jpw5) and never checks the size.
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include <string>
#include <string_view>

#include "backend/backend.hpp"
#include "base/bytes.hpp"

namespace recrypt::tpm {

struct KeyBlob {
  backend::KeyPurpose purpose = backend::KeyPurpose::encryption;
  bool resident_share = false;
  std::string label;
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
  bool pin_auth = false;  // the key's auth value comes from a PIN (else empty)
};

struct SealedBlob {
  std::string label;
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
};

struct DuplicateBlob {
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE duplicate{};
  TPM2B_ENCRYPTED_SECRET seed{};
};

// A sealed secret duplicated for one TPM (tpm2-duplicate-sealed-v1), with the label it was
// wrapped under.
struct DuplicateSealedBlob {
  std::string label;
  DuplicateBlob dup;
};

Bytes encode_key_blob(const KeyBlob& blob);
KeyBlob decode_key_blob(ByteView data);
Bytes encode_sealed_blob(const SealedBlob& blob);
SealedBlob decode_sealed_blob(ByteView data);
Bytes encode_duplicate_blob(const DuplicateBlob& blob);
DuplicateBlob decode_duplicate_blob(ByteView data);
Bytes encode_duplicate_sealed_blob(const DuplicateSealedBlob& blob);
DuplicateSealedBlob decode_duplicate_sealed_blob(ByteView data);

// A marshalled TPM2B_PUBLIC (its size field computed), and back: `data` must be exactly one.
// `what` names the data in error messages.
Bytes marshal_public(const TPM2B_PUBLIC& pub);
TPM2B_PUBLIC unmarshal_public(ByteView data, std::string_view what);

// The marshalled TPMT_PUBLIC, and the object's Name: nameAlg || SHA-256(TPMT_PUBLIC).
// Error(unsupported) for a nameAlg other than SHA-256.
Bytes marshal_public_area(const TPMT_PUBLIC& area);
Bytes object_name(const TPMT_PUBLIC& area);

// A marshalled TPM2B_SENSITIVE, in wiping memory: it holds the private key.
SecureBytes marshal_sensitive(const TPMT_SENSITIVE& sensitive);

// An ECC point as the encrypted secret of a salted session or of a duplication seed: the
// marshalled TPMS_ECC_POINT of the ephemeral key.
TPM2B_ENCRYPTED_SECRET ecc_encrypted_secret(const TPMS_ECC_POINT& ephemeral);

// A duplicate's TPM2B_PRIVATE with an outer wrapper only: TPM2B_DIGEST(integrity) then
// encSensitive. Error(too_large) when they do not fit.
TPM2B_PRIVATE outer_wrapped_private(const TPM2B_DIGEST& integrity, ByteView enc_sensitive);

}  // namespace recrypt::tpm
