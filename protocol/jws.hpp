// JSON Web Signatures (RFC 7515) with ES256 (RFC 7518 §3.4: raw r || s), compact form and the
// detached form of Appendix F (header..signature, the payload travels beside it).
// Signing goes through a Signer so that the key can stay in a TPM, a token or the agent.
#pragma once

#include <functional>
#include <memory>
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

// A public key prepared for verifying: OpenSSL's key object (with its own copy of the curve
// group) is built once, not for every signature, where it cost about a third of a
// verification. Immutable once made, so copies may verify on several threads at once.
class VerifyKey {
 public:
  explicit VerifyKey(const Point& key);
  const Curve& curve() const noexcept { return *curve_; }
  EVP_PKEY* pkey() const noexcept { return pkey_.get(); }

 private:
  const Curve* curve_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

struct Verified {
  Json header;
  Bytes payload;
};

// A compact JWS taken apart and its protected header decoded, nothing checked yet: the
// header names the key to verify with, and verifying then needs no second decoding. The
// views point into the token, which must outlive this.
struct Parsed {
  Json header;
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;
};
Parsed parse(std::string_view token);

// Error(decrypt_failed) for a bad signature, Error(malformed/unsupported) for a bad token.
// The Point forms prepare the key for the one call.
Verified verify_compact(std::string_view token, const VerifyKey& key);
Verified verify_compact(std::string_view token, const Point& key);
Json verify_detached(std::string_view token, ByteView payload, const VerifyKey& key);
Json verify_detached(std::string_view token, ByteView payload, const Point& key);
Json verify_detached(const Parsed& token, ByteView payload, const VerifyKey& key);

// The protected header before any check, to find which key to verify with. Never trust it
// until verify_* has returned.
Json unverified_header(std::string_view token);

// ECDSA signature encodings: JOSE's fixed-size r || s and the DER that OpenSSL speaks.
Bytes der_to_raw(ByteView der, std::size_t scalar_size);
Bytes raw_to_der(ByteView raw);

// Signs `message` with ECDSA/SHA-256 through `signer`: the raw r || s that verify_es256 checks.
Bytes sign_es256(ByteView message, const Signer& signer);

// Verifies a raw r || s ECDSA/SHA-256 signature over `message`.
bool verify_es256(const VerifyKey& key, ByteView message, ByteView raw_signature);
bool verify_es256(const Point& key, ByteView message, ByteView raw_signature);

inline constexpr std::size_t kMaxTokenSize = 64 * 1024;

}  // namespace recrypt::jws
