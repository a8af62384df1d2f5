// The byte formats the TPM backend stores or hands out, all built from TPM 2.0 marshalled
// structures (tss2-mu) behind a 4-byte magic and a version byte. docs/TPM.md has the layouts.
//   key file      "RCTK" 01 | purpose u8 | flags u8 | label (u16 len + UTF-8) |
//                 TPM2B_PUBLIC | TPM2B_PRIVATE
//   sealed blob   "RCTS" 01 | label (u16 len + UTF-8) | TPM2B_PUBLIC | TPM2B_PRIVATE
//   duplicate     "RCTD" 01 | TPM2B_PUBLIC | TPM2B_PRIVATE | TPM2B_ENCRYPTED_SECRET
#pragma once

#include <tss2/tss2_tpm2_types.h>

#include <string>

#include "backend/backend.hpp"
#include "protocol/bytes.hpp"

namespace recrypt::tpm {

struct KeyBlob {
  backend::KeyPurpose purpose = backend::KeyPurpose::encryption;
  bool resident_share = false;
  std::string label;
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
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

// Decoders throw Error(malformed) on a wrong magic, version, truncation or trailing bytes.
Bytes encode_key_blob(const KeyBlob& blob);
KeyBlob decode_key_blob(ByteView data);
Bytes encode_sealed_blob(const SealedBlob& blob);
SealedBlob decode_sealed_blob(ByteView data);
DuplicateBlob decode_duplicate_blob(ByteView data);

}  // namespace recrypt::tpm
