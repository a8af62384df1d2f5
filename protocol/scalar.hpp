// A secret scalar of a curve: an integer in [1, n-1]. Kept in a constant-time BIGNUM from the
// secure heap, wiped when destroyed, never printed. Move-only so that copies are deliberate.
#pragma once

#include <openssl/bn.h>

#include "base/bytes.hpp"
#include "protocol/curve.hpp"
#include "protocol/ossl.hpp"

namespace recrypt {

class Point;

class Scalar {
 public:
  // Uniform in [1, n-1] from OpenSSL's private-key RNG.
  static Scalar random(const Curve& curve);
  // Exactly scalar_size() big-endian bytes encoding a value in [1, n-1]; else Error(invalid_key).
  static Scalar from_bytes(const Curve& curve, ByteView big_endian);

  SecureBytes to_bytes() const;  // scalar_size() big-endian bytes
  Scalar clone() const;

  // (this - other) mod n. Error(invalid_key) when the result is zero, which no valid key is.
  Scalar minus(const Scalar& other) const;
  // (this + other) mod n, with the same zero rule.
  Scalar plus(const Scalar& other) const;

  // this · G, the public key of this private key.
  Point public_point() const;

  // A private EVP_PKEY for OpenSSL's signing and ECDH; it holds its own copy of the secret.
  ossl::Pkey to_evp_pkey() const;

  // Constant-time comparison of the encoded values.
  bool equals(const Scalar& other) const;

  const Curve& curve() const noexcept { return *curve_; }
  const BIGNUM* bn() const noexcept { return bn_.get(); }

  Scalar(Scalar&&) noexcept = default;
  Scalar& operator=(Scalar&&) noexcept = default;
  Scalar(const Scalar&) = delete;
  Scalar& operator=(const Scalar&) = delete;

 private:
  Scalar(const Curve& curve, ossl::Bn bn) : curve_(&curve), bn_(std::move(bn)) {}
  const Curve* curve_;
  ossl::Bn bn_;
};

}  // namespace recrypt
