#include "protocol/service/request_signature.hpp"

#include <openssl/rand.h>

#include <chrono>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

constexpr std::string_view kWhat = "request signature";

}  // namespace

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string sign_request(std::string_view body, const jws::Signer& signer, const std::string& kid,
                         const std::string& audience, std::int64_t now) {
  Bytes nonce(kNonceBytes);
  ossl::check(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) == 1, "RAND_bytes");
  Json header{{"kid", kid}, {"iat", now}, {"nonce", base64url::encode(nonce)}, {"aud", audience}};
  return jws::sign_detached(std::move(header), as_bytes(body), signer);
}

SignatureHeader parse_signature(std::string_view signature) {
  try {
    SignatureHeader out{{}, jws::parse(signature)};
    out.kid = json::string_field(out.token.header, "kid", kWhat);
    if (out.kid.empty() || out.kid.size() > 128)
      fail(Errc::malformed, "signature kid is empty or too long");
    return out;
  } catch (const Error& e) {
    refuse(status::kUnauthorized, std::string("request signature is malformed: ") + e.what());
  }
}

std::string signature_kid(std::string_view signature) { return parse_signature(signature).kid; }

RequestClaims verify_request(const SignatureHeader& signature, std::string_view body,
                             const jws::VerifyKey& key) {
  Json header;
  try {
    header = jws::verify_detached(signature.token, as_bytes(body), key);
  } catch (const Error& e) {
    refuse(status::kUnauthorized, e.code() == Errc::decrypt_failed
                                      ? std::string("request signature does not verify")
                                      : std::string("request signature is malformed: ") + e.what());
  }
  try {
    RequestClaims c;
    c.kid = json::string_field(header, "kid", kWhat);
    auto iat = header.find("iat");
    if (iat == header.end() || !iat->is_number_integer())
      fail(Errc::malformed, "signature iat must be an integer");
    c.iat = iat->get<std::int64_t>();
    c.nonce = json::string_field(header, "nonce", kWhat);
    if (base64url::decode(c.nonce).size() != kNonceBytes)
      fail(Errc::malformed, "signature nonce must be 16 bytes");
    c.aud = json::string_field(header, "aud", kWhat);
    return c;
  } catch (const Error& e) {
    refuse(status::kUnauthorized, std::string("request signature is incomplete: ") + e.what());
  }
}

RequestClaims verify_request(std::string_view signature, std::string_view body,
                             const jws::VerifyKey& key) {
  return verify_request(parse_signature(signature), body, key);
}

RequestClaims verify_request(std::string_view signature, std::string_view body, const Point& key) {
  return verify_request(signature, body, jws::VerifyKey(key));
}

}  // namespace recrypt::service
