#include "tpm/templates.hpp"

#include <cstring>

namespace recrypt::tpm {
namespace {

TPM2B_PUBLIC ecc_base(TPMA_OBJECT attributes) {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_ECC;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = attributes;
  auto& ecc = pub.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  return pub;
}

constexpr TPMA_OBJECT kInTpm = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                               TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                               TPMA_OBJECT_NODA;

}  // namespace

TPM2B_PUBLIC srk_template() {
  TPM2B_PUBLIC pub = ecc_base(kInTpm | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT);
  auto& ecc = pub.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_AES;
  ecc.symmetric.keyBits.aes = 128;
  ecc.symmetric.mode.aes = TPM2_ALG_CFB;
  // The TCG template fills unique with zeros of the coordinate size.
  pub.publicArea.unique.ecc.x.size = 32;
  pub.publicArea.unique.ecc.y.size = 32;
  return pub;
}

TPM2B_PUBLIC device_key_template(backend::KeyPurpose purpose, bool pin_auth) {
  const TPMA_OBJECT base = pin_auth ? (kInTpm & ~TPMA_OBJECT_NODA) : kInTpm;
  if (purpose == backend::KeyPurpose::signing) {
    TPM2B_PUBLIC pub = ecc_base(base | TPMA_OBJECT_SIGN_ENCRYPT);
    pub.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
    pub.publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    return pub;
  }
  return ecc_base(base | TPMA_OBJECT_DECRYPT);
}

TPM2B_PUBLIC sealed_object_template() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_KEYEDHASH;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes =
      TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH;
  pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  return pub;
}

TPM2B_PUBLIC imported_sealed_template() {
  TPM2B_PUBLIC pub{};
  pub.publicArea.type = TPM2_ALG_KEYEDHASH;
  pub.publicArea.nameAlg = TPM2_ALG_SHA256;
  pub.publicArea.objectAttributes = kImportedSealedAttributes;
  pub.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  return pub;
}

TPM2B_PUBLIC share_public(const Point& point) {
  if (point.curve() != Curve::p256()) fail(Errc::unsupported, "TPM shares are P-256 only");
  TPM2B_PUBLIC pub = ecc_base(kShareAttributes);
  pub.publicArea.unique.ecc = ecc_point(point);
  return pub;
}

Point point_from_public(const TPM2B_PUBLIC& pub) {
  const auto& area = pub.publicArea;
  if (area.type != TPM2_ALG_ECC || area.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256)
    fail(Errc::unsupported, "TPM key is not an ECC P-256 key");
  const auto& u = area.unique.ecc;
  // TPM2B_ECC_PARAMETER may drop leading zero octets; pad back to the coordinate size.
  auto pad = [](const TPM2B_ECC_PARAMETER& p) {
    if (p.size > 32) fail(Errc::invalid_key, "TPM point coordinate longer than 32 bytes");
    Bytes out(32 - p.size, 0);
    out.insert(out.end(), p.buffer, p.buffer + p.size);
    return out;
  };
  return Point::from_coordinates(Curve::p256(), pad(u.x), pad(u.y));
}

TPMS_ECC_POINT ecc_point(const Point& p) {
  if (p.curve() != Curve::p256()) fail(Errc::unsupported, "TPM points are P-256 only");
  TPMS_ECC_POINT out{};
  const Bytes x = p.x_bytes(), y = p.y_bytes();
  out.x.size = static_cast<UINT16>(x.size());
  out.y.size = static_cast<UINT16>(y.size());
  std::memcpy(out.x.buffer, x.data(), x.size());
  std::memcpy(out.y.buffer, y.data(), y.size());
  return out;
}

}  // namespace recrypt::tpm
