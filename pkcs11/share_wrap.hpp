// Format "pkcs11-ecdh-aeskwp-v1" (docs/PKCS11.md): a member share wrapped so that only the
// token holding the device encryption key D can unwrap it, inside the token. The token derives
// the KEK with CKM_ECDH1_DERIVE/CKD_NULL (which yields only x(e·D)), and unwraps a PKCS#8 key
// with CKM_AES_KEY_WRAP_PAD: the share never exists in the clear on the member's host.
#pragma once

#include "base/bytes.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::pkcs11 {

inline constexpr std::uint8_t kShareWrapVersion = 1;

struct KwpShare {
  Point device_key;    // D: which device encryption key this share is for
  Point ephemeral;     // E = e·G; the token derives KEK = x(d·E) = x(e·D)
  Point share_public;  // X = x·G: lets the member check the import and list the key
  Bytes wrapped;       // RFC 5649 AES-256-KWP of the PKCS#8 DER of x
};

Bytes encode_kwp_share(const Point& device_key, const Scalar& share);
// Error(malformed|unsupported|truncated|invalid_key) on bad data.
KwpShare parse_kwp_share(ByteView data);

// The PKCS#8 PrivateKeyInfo DER of a P-256 private key (what C_UnwrapKey expects).
SecureBytes pkcs8_private_key(const Scalar& share);

}  // namespace recrypt::pkcs11
