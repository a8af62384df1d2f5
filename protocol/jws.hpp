// JSON Web Signatures (RFC 7515) with ES256 (RFC 7518 §3.4: raw r || s), compact form and the
// detached form of Appendix F (header..signature, the payload travels beside it).
// Signing goes through a Signer so that the key can stay in a TPM, a token or the agent.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "protocol/json.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::jws {

// Signs a SHA-256 digest and returns the raw r || s (64 bytes for P-256).
using Signer = std::function<Bytes(ByteView digest)>;

Signer software_signer(const Scalar& key);  // keeps a reference: `key` must outlive the Signer

// `header` gets "alg":"ES256" added; any other fields (kid, iat, nonce, aud) are the caller's.
std::string sign_compact(Json header, ByteView payload, const Signer& signer);
std::string sign_detached(Json header, ByteView payload, const Signer& signer);

struct Verified {
  Json header;
  Bytes payload;
};

// Error(decrypt_failed) for a bad signature, Error(malformed/unsupported) for a bad token.
Verified verify_compact(std::string_view token, const Point& key);
Json verify_detached(std::string_view token, ByteView payload, const Point& key);

// The protected header before any check, to find which key to verify with. Never trust it
// until verify_* has returned.
Json unverified_header(std::string_view token);

// ECDSA signature encodings: JOSE's fixed-size r || s and the DER that OpenSSL speaks.
Bytes der_to_raw(ByteView der, std::size_t scalar_size);
Bytes raw_to_der(ByteView raw);

// Verifies a raw r || s ECDSA/SHA-256 signature over `message`.
bool verify_es256(const Point& key, ByteView message, ByteView raw_signature);

inline constexpr std::size_t kMaxTokenSize = 64 * 1024;

}  // namespace recrypt::jws
