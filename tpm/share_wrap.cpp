#include "tpm/share_wrap.hpp"

#include <cstring>

#include "tpm/esys_memory.hpp"
#include "tpm/marshal.hpp"
#include "tpm/templates.hpp"

namespace recrypt::tpm {
namespace {

// TPMT_SENSITIVE of an ECC private key: empty authValue and seedValue (an unrestricted
// asymmetric key has no seed), then the scalar. Wiped when it goes.
void sensitive_area(const Scalar& share, TPMT_SENSITIVE& sensitive) {
  const SecureBytes d = share.to_bytes();
  sensitive.sensitiveType = TPM2_ALG_ECC;
  if (d.size() > sizeof sensitive.sensitive.ecc.buffer)
    fail(Errc::unsupported, "TPM share scalar too long");
  sensitive.sensitive.ecc.size = static_cast<UINT16>(d.size());
  std::memcpy(sensitive.sensitive.ecc.buffer, d.data(), d.size());
}

}  // namespace

Bytes share_public_area(const Point& point) {
  return marshal_public_area(share_public(point).publicArea);
}

backend::WrappedShare wrap_share_for_tpm(const TpmParentPublic& parent, const Scalar& share) {
  if (parent.key.curve() != Curve::p256() || share.curve() != Curve::p256())
    fail(Errc::unsupported, "TPM duplication is implemented for P-256 parents and shares only");
  Wiped<TPMT_SENSITIVE> sensitive;
  sensitive_area(share, sensitive.v);
  const DuplicateBlob blob =
      duplicate_for_parent(parent, share_public(share.public_point()), sensitive.v);

  // tpm2-duplicate-v1: "RCTD" 0x01 || TPM2B_PUBLIC || TPM2B_PRIVATE || TPM2B_ENCRYPTED_SECRET
  backend::WrappedShare out;
  out.format = std::string(kDuplicateFormat);
  const Bytes data = encode_duplicate_blob(blob);
  out.data.assign(data.begin(), data.end());
  return out;
}

}  // namespace recrypt::tpm
