#include "protocol/point.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "protocol/scalar.hpp"

namespace recrypt {
namespace {

ossl::EcPoint new_point(const Curve& curve) {
  return ossl::EcPoint(ossl::check_ptr(EC_POINT_new(curve.group()), "EC_POINT_new"));
}

// Points from outside must be on the curve and not the identity; an invalid point fed to
// ECDH can leak bits of the private key.
void require_valid(const Curve& curve, const EC_POINT* p, BN_CTX* ctx) {
  if (EC_POINT_is_at_infinity(curve.group(), p) == 1)
    fail(Errc::invalid_key, "point is the point at infinity");
  if (EC_POINT_is_on_curve(curve.group(), p, ctx) != 1)
    fail(Errc::invalid_key, "point is not on " + std::string(curve.jwk_name()));
}

template <class Out>
Out coordinate(const Curve& curve, const EC_POINT* p, bool want_x) {
  auto ctx = ossl::new_bn_ctx();
  ossl::Bn x(BN_new()), y(BN_new());
  ossl::check(x && y, "BN_new");
  ossl::check(EC_POINT_get_affine_coordinates(curve.group(), p, x.get(), y.get(), ctx.get()) == 1,
              "EC_POINT_get_affine_coordinates");
  Out out(curve.coordinate_size());
  ossl::check(BN_bn2binpad(want_x ? x.get() : y.get(), out.data(), static_cast<int>(out.size())) ==
                  static_cast<int>(out.size()),
              "BN_bn2binpad");
  return out;
}

}  // namespace

Point::Point(const Curve& curve, ossl::EcPoint p) : curve_(&curve), p_(std::move(p)) {}

Point::Point(const Point& other)
    : curve_(other.curve_),
      p_(ossl::check_ptr(EC_POINT_dup(other.p_.get(), other.curve_->group()), "EC_POINT_dup")),
      sec1_(other.sec1_) {}

Point& Point::operator=(const Point& other) {
  if (this != &other) *this = Point(other);
  return *this;
}

Point Point::generator(const Curve& curve) {
  return Point(curve, ossl::EcPoint(ossl::check_ptr(
                          EC_POINT_dup(EC_GROUP_get0_generator(curve.group()), curve.group()),
                          "EC_POINT_dup")));
}

Point Point::from_uncompressed(const Curve& curve, ByteView sec1) {
  if (sec1.size() != 1 + 2 * curve.coordinate_size() || sec1[0] != 0x04)
    fail(Errc::invalid_key, "not an uncompressed " + std::string(curve.jwk_name()) + " point");
  auto ctx = ossl::new_bn_ctx();
  auto p = new_point(curve);
  if (EC_POINT_oct2point(curve.group(), p.get(), sec1.data(), sec1.size(), ctx.get()) != 1) {
    ERR_clear_error();
    fail(Errc::invalid_key, "point is not on " + std::string(curve.jwk_name()));
  }
  require_valid(curve, p.get(), ctx.get());
  Point out(curve, std::move(p));
  out.sec1_.assign(sec1.begin(), sec1.end());
  return out;
}

Point Point::from_coordinates(const Curve& curve, ByteView x, ByteView y) {
  if (x.size() != curve.coordinate_size() || y.size() != curve.coordinate_size())
    fail(Errc::invalid_key, "a " + std::string(curve.jwk_name()) + " coordinate must be " +
                                std::to_string(curve.coordinate_size()) + " bytes");
  Bytes sec1{0x04};
  sec1.insert(sec1.end(), x.begin(), x.end());
  sec1.insert(sec1.end(), y.begin(), y.end());
  return from_uncompressed(curve, sec1);
}

Point Point::lift_x(const Curve& curve, ByteView x) {
  if (x.size() != curve.coordinate_size())
    fail(Errc::invalid_key, "x-coordinate has the wrong length");
  auto ctx = ossl::new_bn_ctx();
  ossl::Bn bx(BN_bin2bn(x.data(), static_cast<int>(x.size()), nullptr));
  ossl::check(bx != nullptr, "BN_bin2bn");
  auto p = new_point(curve);
  if (EC_POINT_set_compressed_coordinates(curve.group(), p.get(), bx.get(), 0, ctx.get()) != 1) {
    ERR_clear_error();
    fail(Errc::invalid_key,
         "no point of " + std::string(curve.jwk_name()) + " has this x-coordinate");
  }
  require_valid(curve, p.get(), ctx.get());
  Point out(curve, std::move(p));
  // OpenSSL reduces x modulo the field prime first; x + p would name the same point.
  if (out.x_bytes() != Bytes(x.begin(), x.end()))
    fail(Errc::invalid_key, "x-coordinate is not below the field prime");
  return out;
}

Point Point::from_spki_der(ByteView der) {
  const unsigned char* cursor = der.data();
  ossl::Pkey pkey(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!pkey || cursor != der.data() + der.size()) {
    ERR_clear_error();
    fail(Errc::invalid_key, "not a DER SubjectPublicKeyInfo");
  }
  char group_name[64] = {};
  if (EVP_PKEY_get_group_name(pkey.get(), group_name, sizeof group_name, nullptr) != 1) {
    ERR_clear_error();
    fail(Errc::unsupported, "SubjectPublicKeyInfo is not an elliptic-curve key");
  }
  const Curve* curve = nullptr;
  if (std::string_view(group_name) == Curve::p256().ossl_name()) curve = &Curve::p256();
  if (curve == nullptr) fail(Errc::unsupported, "unsupported curve " + std::string(group_name));
  unsigned char buf[1 + 2 * 66];
  size_t len = 0;
  ossl::check(EVP_PKEY_get_octet_string_param(pkey.get(), OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf,
                                              &len) == 1,
              "EVP_PKEY_get_octet_string_param");
  return from_uncompressed(*curve, ByteView(buf, len));
}

Bytes Point::to_uncompressed() const {
  if (!sec1_.empty()) return sec1_;
  auto ctx = ossl::new_bn_ctx();
  Bytes out(1 + 2 * curve_->coordinate_size());
  ossl::check(EC_POINT_point2oct(curve_->group(), p_.get(), POINT_CONVERSION_UNCOMPRESSED,
                                 out.data(), out.size(), ctx.get()) == out.size(),
              "EC_POINT_point2oct");
  return out;
}

Bytes Point::x_bytes() const { return coordinate<Bytes>(*curve_, p_.get(), true); }
Bytes Point::y_bytes() const { return coordinate<Bytes>(*curve_, p_.get(), false); }
SecureBytes Point::secret_x() const { return coordinate<SecureBytes>(*curve_, p_.get(), true); }
SecureBytes Point::secret_y() const { return coordinate<SecureBytes>(*curve_, p_.get(), false); }

ossl::Pkey Point::to_evp_pkey() const {
  Bytes pub = to_uncompressed();
  ossl::Pkey pkey(ossl::check_ptr(
      EVP_PKEY_dup(const_cast<EVP_PKEY*>(curve_->public_key_template())), "EVP_PKEY_dup"));
  ossl::check(EVP_PKEY_set1_encoded_public_key(pkey.get(), pub.data(), pub.size()) == 1,
              "EVP_PKEY_set1_encoded_public_key");
  return pkey;
}

Bytes Point::spki_der() const {
  const auto& prefix = curve_->spki_prefix();
  Bytes out(prefix.begin(), prefix.end());
  Bytes point = to_uncompressed();
  out.insert(out.end(), point.begin(), point.end());
  return out;
}

Point Point::plus(const Point& other) const {
  if (!(*curve_ == *other.curve_)) fail(Errc::invalid_key, "points of different curves");
  auto ctx = ossl::new_bn_ctx();
  auto p = new_point(*curve_);
  ossl::check(EC_POINT_add(curve_->group(), p.get(), p_.get(), other.p_.get(), ctx.get()) == 1,
              "EC_POINT_add");
  if (EC_POINT_is_at_infinity(curve_->group(), p.get()) == 1)
    fail(Errc::invalid_key, "point sum is the point at infinity");
  return Point(*curve_, std::move(p));
}

Point Point::negated() const {
  auto ctx = ossl::new_bn_ctx();
  ossl::EcPoint p(ossl::check_ptr(EC_POINT_dup(p_.get(), curve_->group()), "EC_POINT_dup"));
  ossl::check(EC_POINT_invert(curve_->group(), p.get(), ctx.get()) == 1, "EC_POINT_invert");
  return Point(*curve_, std::move(p));
}

Point Point::times(const Scalar& k) const {
  if (!(*curve_ == k.curve())) fail(Errc::invalid_key, "point and scalar of different curves");
  auto ctx = ossl::new_bn_ctx();
  auto p = new_point(*curve_);
  // One point and no generator term: OpenSSL takes its constant-time ladder (or the
  // constant-time windowed P-256 code) for this call shape.
  ossl::check(EC_POINT_mul(curve_->group(), p.get(), nullptr, p_.get(), k.bn(), ctx.get()) == 1,
              "EC_POINT_mul");
  return Point(*curve_, std::move(p));
}

bool operator==(const Point& a, const Point& b) {
  if (!(*a.curve_ == *b.curve_)) return false;
  auto ctx = ossl::new_bn_ctx();
  return EC_POINT_cmp(a.curve_->group(), a.p_.get(), b.p_.get(), ctx.get()) == 0;
}

}  // namespace recrypt
