// The symmetric primitives JOSE and the .jcd format use, all on OpenSSL:
// Concat KDF (RFC 7518 §4.6.2, NIST SP 800-56A single-step with SHA-256), AES-256 key wrap
// (RFC 3394) and AES-256-GCM.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "protocol/ossl.hpp"

namespace recrypt {

inline constexpr std::size_t kSha256Size = 32;
std::array<std::uint8_t, kSha256Size> sha256(ByteView data);

// keydatalen is in bytes here; the KDF's SuppPubInfo carries it in bits as RFC 7518 says.
SecureBytes concat_kdf(ByteView shared_secret, std::string_view algorithm_id, ByteView party_u_info,
                       ByteView party_v_info, std::size_t key_bytes);

// scrypt (RFC 7914) of a passphrase: `out_bytes` of key. Needs 128·r·N bytes of memory, which
// it is allowed; callers bound N for parameters that come from a file.
SecureBytes scrypt(ByteView passphrase, ByteView salt, std::uint64_t n, std::uint32_t r,
                   std::uint32_t p, std::size_t out_bytes);

Bytes aes256_key_wrap(ByteView kek, ByteView key);
// nullopt when the integrity check fails (wrong KEK or tampered input).
std::optional<SecureBytes> aes256_key_unwrap(ByteView kek, ByteView wrapped);

inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;
inline constexpr std::size_t kAes256KeySize = 32;

// AES-256-GCM with the key schedule done once, for many messages under one key (the .jcd
// segments). Not thread-safe; one per stream.
class Aes256Gcm {
 public:
  explicit Aes256Gcm(ByteView key);
  // Encrypts plaintext into out, which must be exactly as long (Error(internal) if not);
  // returns the tag.
  std::array<std::uint8_t, kGcmTagSize> seal(ByteView nonce, ByteView aad, ByteView plaintext,
                                             std::span<std::uint8_t> out);
  // Decrypts ciphertext into out, which must be exactly as long (Error(internal) if not).
  // false when authentication fails; out then holds nothing the caller may use.
  bool open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag,
            std::span<std::uint8_t> out);

 private:
  ossl::CipherCtx enc_;
  ossl::CipherCtx dec_;
};

}  // namespace recrypt
