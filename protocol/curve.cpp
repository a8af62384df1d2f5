#include "protocol/curve.hpp"

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>

#include <algorithm>
#include <string>

#include "protocol/ossl.hpp"

namespace recrypt {
namespace {

std::vector<unsigned char> uncompressed_generator(const EC_GROUP* group, std::size_t coordinate_size) {
  std::vector<unsigned char> point(1 + 2 * coordinate_size);
  ossl::check(EC_POINT_point2oct(group, EC_GROUP_get0_generator(group), POINT_CONVERSION_UNCOMPRESSED,
                                 point.data(), point.size(), nullptr) == point.size(),
              "EC_POINT_point2oct");
  return point;
}

}  // namespace

Curve::Curve(int nid, std::string_view jwk_name, std::string_view jws_alg,
             std::string_view ossl_name, std::size_t size)
    : nid_(nid), jwk_name_(jwk_name), jws_alg_(jws_alg), ossl_name_(ossl_name),
      scalar_size_(size), coordinate_size_(size),
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
  ossl::PkeyCtx ctx(ossl::check_ptr(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr),
                                    "EVP_PKEY_CTX_new_from_name"));
  EVP_PKEY* raw = nullptr;
  ossl::check(EVP_PKEY_fromdata_init(ctx.get()) == 1, "EVP_PKEY_fromdata_init");
  ossl::check(EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params) == 1, "EVP_PKEY_fromdata");
  public_template_.reset(raw);

  // The generator's SubjectPublicKeyInfo, encoded once by OpenSSL, minus the point: DER is
  // deterministic, so every point's SPKI is this prefix followed by the point.
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(public_template_.get(), &der);
  ossl::check(len > static_cast<int>(point.size()), "i2d_PUBKEY");
  std::vector<unsigned char> spki(der, der + len);
  OPENSSL_free(der);
  ossl::check(std::equal(point.begin(), point.end(), spki.end() - static_cast<long>(point.size())),
              "SubjectPublicKeyInfo does not end with the point");
  spki.resize(spki.size() - point.size());
  spki_prefix_ = std::move(spki);
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
