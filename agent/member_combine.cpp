#include "agent/member_combine.hpp"

#include "protocol/error.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"

namespace recrypt::agent {

std::vector<Point> ecdh_points(const backend::EcdhResult& result) {
  const Curve& curve = Curve::p256();
  if (result.y) return {Point::from_coordinates(curve, result.x, *result.y)};
  Point p = Point::lift_x(curve, result.x);
  return {p, p.negated()};
}

Scalar unwrap_share(const std::string& wrapped, const DeviceKeys& device) {
  jwe::Envelope envelope = jwe::Envelope::parse(wrapped);
  for (const auto& r : envelope.recipients) {
    if (r.alg != jwe::kAlgEcdhEs) continue;
    const auto& agreement = r.agreements.front();
    if (!agreement.kid.empty() && agreement.kid != device.encryption_udf) continue;
    auto shared = device.backend->ecdh(device.encryption_key_id, agreement.epk);
    SecureBytes cek = jwe::unwrap_candidates(r, {ecdh_points(shared)});
    SecureBytes plaintext = jwe::decrypt_content(envelope, cek);
    SecretJson share_jwk = json::parse_secret(as_chars(plaintext), 4096, "wrapped share");
    return jwk::to_private(share_jwk);
  }
  fail(Errc::decrypt_failed, "the service's wrapped share is not for this device");
}

Point member_shared_point(const DeviceKeys& device, const Point& epk, const service::RecryptDataResponse& answer) {
  Scalar share = unwrap_share(answer.wrapped_share, device);
  return recryption::combine(answer.partial, epk.times(share));
}

}  // namespace recrypt::agent
