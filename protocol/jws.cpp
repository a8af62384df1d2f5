#include "protocol/jws.hpp"

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/primitives.hpp"

namespace recrypt::jws {
namespace {

constexpr std::string_view kWhat = "JWS header";

Json decode_header(std::string_view b64) {
  Bytes raw = base64url::decode(b64);
  Json header = json::parse(as_chars(raw), kMaxTokenSize, kWhat);
  json::require_object(header, kWhat);
  return header;
}

std::string sign_token(Json header, ByteView payload, const Signer& signer, bool detached) {
  header["alg"] = "ES256";
  std::string head = base64url::encode(as_bytes(header.dump()));
  std::string body = base64url::encode(payload);
  Bytes sig = sign_es256(as_bytes(head + "." + body), signer);
  return head + "." + (detached ? std::string() : body) + "." + base64url::encode(sig);
}

Json check(const Parsed& token, std::string_view payload_b64, const VerifyKey& key) {
  const std::string& alg = json::string_field(token.header, "alg", kWhat);
  if (alg != key.curve().jws_alg())
    fail(Errc::unsupported, "JWS algorithm \"" + alg + "\" is not accepted");
  if (token.header.contains("crit"))
    fail(Errc::unsupported, "JWS header has critical extensions we do not know");
  Bytes sig = base64url::decode(token.signature_b64);
  std::string input;
  input.reserve(token.header_b64.size() + 1 + payload_b64.size());
  input.append(token.header_b64).append(".").append(payload_b64);
  if (!verify_es256(key, as_bytes(input), sig))
    fail(Errc::decrypt_failed, "JWS signature does not verify");
  return token.header;
}

}  // namespace

VerifyKey::VerifyKey(const Point& key)
    : curve_(&key.curve()), pkey_(key.to_evp_pkey().release(), EVP_PKEY_free) {}

Parsed parse(std::string_view token) {
  if (token.size() > kMaxTokenSize) fail(Errc::too_large, "JWS is too large");
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    fail(Errc::malformed, "JWS compact serialization must have exactly three parts");
  Parsed out;
  out.header_b64 = token.substr(0, first);
  out.payload_b64 = token.substr(first + 1, second - first - 1);
  out.signature_b64 = token.substr(second + 1);
  out.header = decode_header(out.header_b64);
  return out;
}

Signer software_signer(const Scalar& key) {
  return [&key](ByteView digest) {
    auto pkey = key.to_evp_pkey();
    ossl::PkeyCtx ctx(ossl::check_ptr(EVP_PKEY_CTX_new(pkey.get(), nullptr), "EVP_PKEY_CTX_new"));
    ossl::check(EVP_PKEY_sign_init(ctx.get()) == 1, "EVP_PKEY_sign_init");
    std::size_t len = 0;
    ossl::check(EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) == 1,
                "EVP_PKEY_sign");
    Bytes der(len);
    ossl::check(EVP_PKEY_sign(ctx.get(), der.data(), &len, digest.data(), digest.size()) == 1,
                "EVP_PKEY_sign");
    der.resize(len);
    return der_to_raw(der, key.curve().scalar_size());
  };
}

std::string sign_compact(Json header, ByteView payload, const Signer& signer) {
  return sign_token(std::move(header), payload, signer, false);
}

std::string sign_detached(Json header, ByteView payload, const Signer& signer) {
  return sign_token(std::move(header), payload, signer, true);
}

Verified verify_compact(std::string_view token, const VerifyKey& key) {
  Parsed parts = parse(token);
  Json header = check(parts, parts.payload_b64, key);
  return {std::move(header), base64url::decode(parts.payload_b64)};
}

Verified verify_compact(std::string_view token, const Point& key) {
  return verify_compact(token, VerifyKey(key));
}

Json verify_detached(const Parsed& token, ByteView payload, const VerifyKey& key) {
  if (!token.payload_b64.empty())
    fail(Errc::malformed, "detached JWS must have an empty payload part");
  return check(token, base64url::encode(payload), key);
}

Json verify_detached(std::string_view token, ByteView payload, const VerifyKey& key) {
  return verify_detached(parse(token), payload, key);
}

Json verify_detached(std::string_view token, ByteView payload, const Point& key) {
  return verify_detached(token, payload, VerifyKey(key));
}

Json unverified_header(std::string_view token) { return parse(token).header; }

Bytes der_to_raw(ByteView der, std::size_t scalar_size) {
  const unsigned char* cursor = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der.size())), ECDSA_SIG_free);
  if (!sig || cursor != der.data() + der.size()) {
    ERR_clear_error();
    fail(Errc::malformed, "ECDSA signature is not valid DER");
  }
  Bytes raw(2 * scalar_size);
  ossl::check(
      BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), static_cast<int>(scalar_size)) > 0 &&
          BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + scalar_size,
                       static_cast<int>(scalar_size)) > 0,
      "BN_bn2binpad");
  return raw;
}

Bytes raw_to_der(ByteView raw) {
  if (raw.empty() || raw.size() % 2 != 0 || raw.size() > 2 * 66)
    fail(Errc::malformed, "raw ECDSA signature has the wrong length");
  std::size_t half = raw.size() / 2;
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(ECDSA_SIG_new(), ECDSA_SIG_free);
  ossl::check(sig != nullptr, "ECDSA_SIG_new");
  BIGNUM* r = BN_bin2bn(raw.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr);
  if (r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ossl::check(false, "ECDSA_SIG_set0");
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  ossl::check(len > 0, "i2d_ECDSA_SIG");
  Bytes out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Bytes sign_es256(ByteView message, const Signer& signer) { return signer(sha256(message)); }

bool verify_es256(const VerifyKey& key, ByteView message, ByteView raw_signature) {
  if (raw_signature.size() != 2 * key.curve().scalar_size()) return false;
  Bytes der = raw_to_der(raw_signature);
  ossl::MdCtx ctx(ossl::check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl::check(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.pkey()) == 1,
              "EVP_DigestVerifyInit");
  int rc = EVP_DigestVerify(ctx.get(), der.data(), der.size(), message.data(), message.size());
  ERR_clear_error();
  return rc == 1;
}

bool verify_es256(const Point& key, ByteView message, ByteView raw_signature) {
  return verify_es256(VerifyKey(key), message, raw_signature);
}

}  // namespace recrypt::jws
