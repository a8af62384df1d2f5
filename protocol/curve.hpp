// An elliptic curve the protocol works over. P-256 is the only one today; the code asks the
// Curve for every size and name so that P-384 can follow without touching the callers.
#pragma once

#include <openssl/ec.h>

#include "protocol/ossl.hpp"

#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

namespace recrypt {

class Curve {
 public:
  static const Curve& p256();
  // The curve with this JWK "crv" name, or nullptr when we do not support it.
  static const Curve* from_jwk_name(std::string_view crv);

  std::string_view jwk_name() const noexcept { return jwk_name_; }    // "P-256"
  std::string_view jws_alg() const noexcept { return jws_alg_; }      // "ES256"
  std::string_view ossl_name() const noexcept { return ossl_name_; }  // "prime256v1"
  int nid() const noexcept { return nid_; }
  std::size_t scalar_size() const noexcept { return scalar_size_; }  // bytes of a scalar
  std::size_t coordinate_size() const noexcept { return coordinate_size_; }
  const EC_GROUP* group() const noexcept { return group_; }
  const BIGNUM* order() const noexcept { return EC_GROUP_get0_order(group_); }
  // The DER SubjectPublicKeyInfo of any point on this curve is this prefix followed by the
  // point's uncompressed encoding: key fingerprints need it on every request, and OpenSSL's
  // encoder framework costs tens of microseconds per call.
  const std::vector<unsigned char>& spki_prefix() const;
  // A public EVP_PKEY on this curve (the generator). Duplicating it and setting another point
  // is four times cheaper than EVP_PKEY_fromdata, which rebuilds the curve every time.
  const EVP_PKEY* public_key_template() const;

  Curve(const Curve&) = delete;
  Curve& operator=(const Curve&) = delete;
  ~Curve();

 private:
  Curve(int nid, std::string_view jwk_name, std::string_view jws_alg, std::string_view ossl_name,
        std::size_t size);
  // Built on first use: a process that never makes an EVP_PKEY (the CLI decrypting) should
  // not pay for loading OpenSSL's key management.
  void prepare_encodings() const;
  int nid_;
  std::string_view jwk_name_;
  std::string_view jws_alg_;
  std::string_view ossl_name_;
  std::size_t scalar_size_;
  std::size_t coordinate_size_;
  EC_GROUP* group_;
  mutable std::once_flag encodings_once_;
  mutable ossl::Pkey public_template_;
  mutable std::vector<unsigned char> spki_prefix_;
};

inline bool operator==(const Curve& a, const Curve& b) noexcept { return &a == &b; }

}  // namespace recrypt
