// A public point of a curve, never the point at infinity, always checked to be on its curve
// when it comes from outside. Copyable: points are public values.
#pragma once

#include <openssl/ec.h>
#include <openssl/evp.h>

#include <array>

#include "base/bytes.hpp"
#include "protocol/curve.hpp"
#include "protocol/ossl.hpp"

namespace recrypt {

class Scalar;

class Point {
 public:
  static Point generator(const Curve& curve);
  // SEC1 uncompressed form 04 || X || Y. Error(invalid_key) when not on the curve.
  static Point from_uncompressed(const Curve& curve, ByteView sec1);
  // Big-endian affine coordinates of coordinate_size() bytes each.
  static Point from_coordinates(const Curve& curve, ByteView x, ByteView y);
  // The point with this x-coordinate and even y; its negation is the other one.
  static Point lift_x(const Curve& curve, ByteView x);
  // DER SubjectPublicKeyInfo (as in X.509 and PKCS#11's CKA_PUBLIC_KEY_INFO).
  static Point from_spki_der(ByteView der);

  Bytes to_uncompressed() const;
  Bytes x_bytes() const;
  Bytes y_bytes() const;
  // The coordinates of a point that is itself secret (an ECDH result x·T, a KEK's source),
  // written straight into wiping memory: no caller ever holds them in a plain buffer.
  SecureBytes secret_x() const;
  SecureBytes secret_y() const;
  Bytes spki_der() const;
  ossl::Pkey to_evp_pkey() const;  // public-only EVP_PKEY for verification and ECDH

  Point plus(const Point& other) const;  // Error(invalid_key) if the sum is at infinity
  Point negated() const;
  Point times(const Scalar& k) const;  // constant-time in k

  const Curve& curve() const noexcept { return *curve_; }
  const EC_POINT* ec_point() const noexcept { return p_.get(); }

  Point(const Point& other);
  Point& operator=(const Point& other);
  Point(Point&&) noexcept = default;
  Point& operator=(Point&&) noexcept = default;

  friend bool operator==(const Point& a, const Point& b);

 private:
  friend class Scalar;
  Point(const Curve& curve, ossl::EcPoint p);
  const Curve* curve_;
  ossl::EcPoint p_;
  // The SEC1 form the point was read from, when it was: writing it out again costs OpenSSL's
  // P-256 code a field inversion each time (a service fingerprints every key agreement it
  // answers). Empty for a computed point.
  Bytes sec1_;
};

}  // namespace recrypt
