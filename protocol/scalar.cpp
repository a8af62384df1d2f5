#include "protocol/scalar.hpp"

#include "protocol/point.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

namespace recrypt {

Scalar Scalar::random(const Curve& curve) {
  auto ctx = ossl::new_bn_ctx();
  auto bn = ossl::new_secure_bn();
  do {
    ossl::check(BN_priv_rand_range_ex(bn.get(), curve.order(), 0, ctx.get()) == 1,
                "BN_priv_rand_range_ex");
  } while (BN_is_zero(bn.get()));
  return Scalar(curve, std::move(bn));
}

Scalar Scalar::from_bytes(const Curve& curve, ByteView big_endian) {
  if (big_endian.size() != curve.scalar_size())
    fail(Errc::invalid_key, "a private scalar for " + std::string(curve.jwk_name()) + " must be " +
                                std::to_string(curve.scalar_size()) + " bytes");
  auto bn = ossl::new_secure_bn();
  ossl::check(
      BN_bin2bn(big_endian.data(), static_cast<int>(big_endian.size()), bn.get()) != nullptr,
      "BN_bin2bn");
  if (BN_is_zero(bn.get()) || BN_cmp(bn.get(), curve.order()) >= 0)
    fail(Errc::invalid_key, "private scalar is outside [1, n-1]");
  return Scalar(curve, std::move(bn));
}

SecureBytes Scalar::to_bytes() const {
  SecureBytes out(curve_->scalar_size());
  ossl::check(BN_bn2binpad(bn_.get(), out.data(), static_cast<int>(out.size())) ==
                  static_cast<int>(out.size()),
              "BN_bn2binpad");
  return out;
}

Scalar Scalar::clone() const {
  auto bn = ossl::new_secure_bn();
  ossl::check(BN_copy(bn.get(), bn_.get()) != nullptr, "BN_copy");
  return Scalar(*curve_, std::move(bn));
}

Scalar Scalar::minus(const Scalar& other) const {
  if (!(*curve_ == *other.curve_)) fail(Errc::invalid_key, "scalars of different curves");
  auto ctx = ossl::new_bn_ctx();
  auto bn = ossl::new_secure_bn();
  ossl::check(BN_mod_sub(bn.get(), bn_.get(), other.bn_.get(), curve_->order(), ctx.get()) == 1,
              "BN_mod_sub");
  if (BN_is_zero(bn.get())) fail(Errc::invalid_key, "scalar difference is zero");
  return Scalar(*curve_, std::move(bn));
}

Scalar Scalar::plus(const Scalar& other) const {
  if (!(*curve_ == *other.curve_)) fail(Errc::invalid_key, "scalars of different curves");
  auto ctx = ossl::new_bn_ctx();
  auto bn = ossl::new_secure_bn();
  ossl::check(BN_mod_add(bn.get(), bn_.get(), other.bn_.get(), curve_->order(), ctx.get()) == 1,
              "BN_mod_add");
  if (BN_is_zero(bn.get())) fail(Errc::invalid_key, "scalar sum is zero");
  return Scalar(*curve_, std::move(bn));
}

Point Scalar::public_point() const {
  auto ctx = ossl::new_bn_ctx();
  ossl::EcPoint p(ossl::check_ptr(EC_POINT_new(curve_->group()), "EC_POINT_new"));
  ossl::check(EC_POINT_mul(curve_->group(), p.get(), bn_.get(), nullptr, nullptr, ctx.get()) == 1,
              "EC_POINT_mul(G)");
  return Point(*curve_, std::move(p));
}

ossl::Pkey Scalar::to_evp_pkey() const {
  Bytes pub = public_point().to_uncompressed();
  // OSSL_PARAM wants the private key in native byte order; the buffer wipes itself.
  SecureBytes native(curve_->scalar_size());
  ossl::check(BN_bn2nativepad(bn_.get(), native.data(), static_cast<int>(native.size())) ==
                  static_cast<int>(native.size()),
              "BN_bn2nativepad");
  std::string group(curve_->ossl_name());
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub.data(), pub.size()),
      OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_PRIV_KEY, native.data(), native.size()),
      OSSL_PARAM_construct_end()};
  return ossl::ec_key_from_params(EVP_PKEY_KEYPAIR, params);
}

bool Scalar::equals(const Scalar& other) const {
  return *curve_ == *other.curve_ && constant_time_equal(to_bytes(), other.to_bytes());
}

}  // namespace recrypt
