#include "protocol/jwk.hpp"

#include "protocol/base64url.hpp"
#include "base/error.hpp"

namespace recrypt::jwk {
namespace {

constexpr std::string_view kWhat = "JWK";

const Curve& curve_of(std::string_view kty, std::string_view crv) {
  if (kty != "EC") fail(Errc::unsupported, "JWK key type \"" + std::string(kty) + "\" is not EC");
  const Curve* curve = Curve::from_jwk_name(crv);
  if (curve == nullptr)
    fail(Errc::unsupported, "JWK curve \"" + std::string(crv) + "\" is not supported");
  return *curve;
}

}  // namespace

Json from_public(const Point& key) {
  // Both coordinates from one conversion to affine form (it costs a field inversion).
  Bytes sec1 = key.to_uncompressed();
  ByteView both = ByteView(sec1).subspan(1);
  std::size_t n = key.curve().coordinate_size();
  return Json{{"kty", "EC"},
              {"crv", std::string(key.curve().jwk_name())},
              {"x", base64url::encode(both.first(n))},
              {"y", base64url::encode(both.subspan(n, n))}};
}

Point to_public(const Json& jwk) {
  json::require_object(jwk, kWhat);
  const Curve& curve =
      curve_of(json::string_field(jwk, "kty", kWhat), json::string_field(jwk, "crv", kWhat));
  Bytes x = base64url::decode(json::string_field(jwk, "x", kWhat));
  Bytes y = base64url::decode(json::string_field(jwk, "y", kWhat));
  return Point::from_coordinates(curve, x, y);
}

SecretJson from_private(const Scalar& key) {
  Point pub = key.public_point();
  SecureBytes d = key.to_bytes();
  std::string d_b64 = base64url::encode(d);
  SecretJson out{{"kty", "EC"},
                 {"crv", SecureString(key.curve().jwk_name())},
                 {"x", SecureString(base64url::encode(pub.x_bytes()))},
                 {"y", SecureString(base64url::encode(pub.y_bytes()))},
                 {"d", SecureString(d_b64)}};
  secure_wipe(d_b64.data(), d_b64.size());
  return out;
}

Scalar to_private(const SecretJson& jwk) {
  auto field = [&jwk](std::string_view key) -> std::string_view {
    const SecureString& s = json::secret_string_field(jwk, key, kWhat);
    return {s.data(), s.size()};
  };
  const Curve& curve = curve_of(field("kty"), field("crv"));
  SecureBytes d = base64url::decode_secret(field("d"));
  Scalar key = Scalar::from_bytes(curve, d);
  Point claimed =
      Point::from_coordinates(curve, base64url::decode(field("x")), base64url::decode(field("y")));
  if (!(claimed == key.public_point()))
    fail(Errc::invalid_key, "JWK private key does not match its public key");
  return key;
}

}  // namespace recrypt::jwk
