#include "agent/member_combine.hpp"

#include "protocol/service/share_form.hpp"
#include "protocol/udf.hpp"

#include "base/error.hpp"
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

std::optional<SecureBytes> open_for_device(const jwe::Envelope& envelope,
                                           const DeviceKeys& device) {
  for (const auto& r : envelope.recipients) {
    if (r.alg != jwe::kAlgEcdhEs) continue;
    const auto& agreement = r.agreements.front();
    if (!agreement.kid.empty() && agreement.kid != device.encryption_udf) continue;
    auto shared = device.backend->ecdh(device.encryption_key_id, agreement.epk);
    SecureBytes cek = jwe::unwrap_candidates(r, {ecdh_points(shared)});
    return jwe::decrypt_content(envelope, cek);
  }
  return std::nullopt;
}

Scalar unwrap_share(const std::string& wrapped, const DeviceKeys& device) {
  jwe::Envelope envelope = jwe::Envelope::parse(wrapped);
  // A document is never taken for a share: its plaintext is no key of ours to use.
  service::require_wrapped_share_type(envelope);
  std::optional<SecureBytes> plaintext = open_for_device(envelope, device);
  if (!plaintext) fail(Errc::decrypt_failed, "the service's wrapped share is not for this device");
  SecretJson share_jwk = json::parse_secret(as_chars(*plaintext), 4096, "wrapped share");
  return jwk::to_private(share_jwk);
}

Point member_shared_point(const DeviceKeys& device, const Point& epk,
                          const service::RecryptDataResponse& answer) {
  service::ShareForm form = service::parse_share_form(answer.wrapped_share);
  if (!form.jwe)
    fail(Errc::unsupported,
         "this device's share is resident-only and its backend cannot import it");
  Scalar share = unwrap_share(*form.jwe, device);
  return recryption::combine(answer.partial, epk.times(share));
}

std::string ResidentShares::key_for(backend::Backend& backend, const backend::WrappedShare& blob,
                                    const Point& share_public) {
  std::string slot = std::string(backend.name()) + "|" + udf::key_fingerprint(share_public);
  std::lock_guard guard(mutex_);
  if (auto it = keys_.find(slot); it != keys_.end()) return it->second;
  for (const auto& k : backend.list_keys()) {
    if (k.resident_share && k.public_key == share_public) return keys_[slot] = k.id;
  }
  backend::KeyInfo imported =
      backend.import_share("share:" + udf::key_fingerprint(share_public), blob);
  if (!(imported.public_key == share_public))
    throw backend::BackendError(backend::BackendErrc::device,
                                "the imported share does not have the public key it was sent with");
  return keys_[slot] = imported.id;
}

bool ends_the_request(const backend::BackendError& failure) {
  using backend::BackendErrc;
  return failure.code() == BackendErrc::auth_failed || failure.code() == BackendErrc::locked ||
         failure.code() == BackendErrc::cancelled;
}

namespace {

// Failures that say nothing about the resident form: the device is gone, or the user did not
// unlock it. The wrapped form needs the same device and the same PIN, so it is not tried.
bool resident_failure_is_final(backend::BackendErrc code) {
  using backend::BackendErrc;
  return code == BackendErrc::not_present || code == BackendErrc::cancelled ||
         code == BackendErrc::auth_failed || code == BackendErrc::locked;
}

}  // namespace

std::vector<Point> member_shared_points(const DeviceKeys& device, const Point& epk,
                                        const service::RecryptDataResponse& answer,
                                        ResidentShares& resident, std::string& how) {
  service::ShareForm form = service::parse_share_form(answer.wrapped_share);
  // Why the resident form failed, for the message when the wrapped form fails too.
  std::string resident_refusal;
  if (form.resident && device.backend->capabilities().resident_shares) {
    try {
      const service::ResidentShare& r = *form.resident;
      std::string key = resident.key_for(
          *device.backend, backend::WrappedShare{r.format, secure_copy(r.data)}, r.share_public);
      std::vector<Point> out;
      for (const Point& p : ecdh_points(device.backend->ecdh(key, epk)))
        out.push_back(recryption::combine(answer.partial, p));
      how = "resident share";
      return out;
    } catch (const backend::BackendError& e) {
      // Tokens refuse an in-token unwrap in many ways (no such mechanism, CKR_ARGUMENTS_BAD for
      // an AES key they cannot derive, ...): whatever the reason, the wrapped form may work.
      if (resident_failure_is_final(e.code()) || !form.jwe) throw;
      resident_refusal = e.what();
    } catch (const Error& e) {
      if (!form.jwe) throw;
      resident_refusal = e.what();
    }
  }
  how = "wrapped share";
  if (resident_refusal.empty()) return {member_shared_point(device, epk, answer)};
  const std::string before = " (the resident share failed first: " + resident_refusal + ")";
  try {
    return {member_shared_point(device, epk, answer)};
  } catch (const backend::BackendError& e) {
    throw backend::BackendError(e.code(), e.what() + before);
  } catch (const Error& e) {
    throw Error(e.code(), e.what() + before);
  }
}

}  // namespace recrypt::agent
