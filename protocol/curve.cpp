#include "protocol/curve.hpp"

#include <openssl/obj_mac.h>

#include "protocol/ossl.hpp"

namespace recrypt {

Curve::Curve(int nid, std::string_view jwk_name, std::string_view jws_alg,
             std::string_view ossl_name, std::size_t size)
    : nid_(nid), jwk_name_(jwk_name), jws_alg_(jws_alg), ossl_name_(ossl_name),
      scalar_size_(size), coordinate_size_(size),
      group_(ossl::check_ptr(EC_GROUP_new_by_curve_name(nid), "EC_GROUP_new_by_curve_name")) {}

Curve::~Curve() { EC_GROUP_free(group_); }

const Curve& Curve::p256() {
  static const Curve curve(NID_X9_62_prime256v1, "P-256", "ES256", "prime256v1", 32);
  return curve;
}

const Curve* Curve::from_jwk_name(std::string_view crv) {
  if (crv == "P-256") return &p256();
  return nullptr;
}

}  // namespace recrypt
