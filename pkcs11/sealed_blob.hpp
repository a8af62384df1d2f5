// The sealed-secret blob of the PKCS#11 backend (docs/PKCS11.md, "Sealed blob"): a secret
// encrypted under a key only the token can derive, by ECDH between a software ephemeral key
// and a token-resident key. Sealing needs only the token key's public point; opening needs
// the token to compute Z = d·E.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "protocol/point.hpp"

namespace recrypt::pkcs11 {

inline constexpr std::uint8_t kSealVersion = 1;

struct SealedBlob {
  Point ephemeral;      // E = e·G
  Point token_key;      // D, the public point of the token key
  std::string key_uri;  // which token key (its backend key id)
  std::string label;    // what the caller called the secret; authenticated, not secret
  std::array<std::uint8_t, 12> nonce{};
  Bytes ciphertext_and_tag;
  std::size_t header_size = 0;  // bytes of the blob that are the GCM additional data
};

// Seals `secret` to the token key D. Pure software.
Bytes seal_to_token_key(const Point& token_key, std::string_view key_uri, std::string_view label,
                        ByteView secret);

// Parses without decrypting. Error(malformed|unsupported|truncated) on a bad blob.
SealedBlob parse_sealed_blob(ByteView blob);

// Opens a parsed blob given z_x, the x-coordinate of d·E that the token computed.
// Error(decrypt_failed) when the blob was tampered with or the token key is not the one.
SecureBytes open_sealed_blob(const SealedBlob& parsed, ByteView blob, ByteView z_x);

}  // namespace recrypt::pkcs11
