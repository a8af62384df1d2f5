#include "protocol/curve.hpp"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string>

#include "protocol/ossl.hpp"

namespace recrypt {
namespace {

std::vector<unsigned char> uncompressed_generator(const EC_GROUP* group,
                                                  std::size_t coordinate_size) {
  std::vector<unsigned char> point(1 + 2 * coordinate_size);
  ossl::check(
      EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED,
                         point.data(), point.size(), nullptr) == point.size(),
      "EC_POINT_point2oct");
  return point;
}

}  // namespace

Curve::Curve(int nid, std::string_view jwk_name, std::string_view jws_alg,
             std::string_view ossl_name, std::size_t size)
    : nid_(nid),
      jwk_name_(jwk_name),
      jws_alg_(jws_alg),
      ossl_name_(ossl_name),
      scalar_size_(size),
      coordinate_size_(size),
      group_(ossl::check_ptr(EC_GROUP_new_by_curve_name(nid), "EC_GROUP_new_by_curve_name")) {}

const EVP_PKEY* Curve::public_key_template() const {
  std::call_once(encodings_once_, [this] { prepare_encodings(); });
  return public_template_.get();
}

const std::vector<unsigned char>& Curve::spki_prefix() const {
  std::call_once(encodings_once_, [this] { prepare_encodings(); });
  return spki_prefix_;
}

void Curve::prepare_encodings() const {
  std::vector<unsigned char> point = uncompressed_generator(group_, coordinate_size_);
  std::string name(ossl_name_);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  public_template_ = ossl::ec_key_from_params(EVP_PKEY_PUBLIC_KEY, params);

  // The generator's SubjectPublicKeyInfo, encoded once by OpenSSL, minus the point: DER is
  // deterministic, so every point's SPKI is this prefix followed by the point.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(public_template_.get(), &der);
  ossl::check(len > static_cast<int>(point.size()), "i2d_PUBKEY");
  const unsigned char* point_in_der = der + (static_cast<std::size_t>(len) - point.size());
  bool ends_with_point = std::equal(point.begin(), point.end(), point_in_der);
  if (ends_with_point) spki_prefix_.assign(static_cast<const unsigned char*>(der), point_in_der);
  OPENSSL_free(der);
  ossl::check(ends_with_point, "SubjectPublicKeyInfo does not end with the point");
}

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
