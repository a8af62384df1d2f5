// The signature on a request: a detached JWS (ES256) over the exact body bytes, sent in the
// Recrypt-Signature header. Its protected header names the key ("kid", a UDF), the time
// ("iat"), a fresh "nonce" and the audience ("aud", which service it is meant for), so that a
// captured request can be neither replayed later, nor twice, nor at another service.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/json.hpp"
#include "protocol/jws.hpp"

namespace recrypt::service {

inline constexpr std::size_t kNonceBytes = 16;

struct RequestClaims {
  std::string kid;
  std::int64_t iat = 0;
  std::string nonce;  // base64url of kNonceBytes random bytes
  std::string aud;
};

std::int64_t unix_now();

// The value of the Recrypt-Signature header for `body`.
std::string sign_request(std::string_view body, const jws::Signer& signer, const std::string& kid,
                         const std::string& audience, std::int64_t now = unix_now());

// A Recrypt-Signature header taken apart once: the kid to find the key by and the token to
// verify with that key. Nothing in it is trusted before verify_request; it points into the
// header's text, which must outlive it.
struct SignatureHeader {
  std::string kid;
  jws::Parsed token;
};

// ServiceError(401) when the header cannot be read.
SignatureHeader parse_signature(std::string_view signature);

// The kid of a signature before it is verified (to find the key); ServiceError(401) when the
// header cannot be read.
std::string signature_kid(std::string_view signature);

// Checks the signature with `key` and returns its claims, every one present and typed.
// ServiceError(401) on any failure. Time, audience and replay checks are the caller's.
RequestClaims verify_request(const SignatureHeader& signature, std::string_view body,
                             const jws::VerifyKey& key);
RequestClaims verify_request(std::string_view signature, std::string_view body,
                             const jws::VerifyKey& key);
RequestClaims verify_request(std::string_view signature, std::string_view body, const Point& key);

}  // namespace recrypt::service
