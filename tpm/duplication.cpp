#include "tpm/duplication.hpp"

#include <openssl/evp.h>

#include <cstring>

#include "protocol/ossl.hpp"
#include "protocol/scalar.hpp"
#include "tpm/kdf.hpp"
#include "tpm/ossl_algs.hpp"
#include "tpm/templates.hpp"

namespace recrypt::tpm {
namespace {

constexpr std::size_t kSha256Bits = 256;

SecureBytes aes128_cfb_encrypt(ByteView key, ByteView plain) {
  ossl::CipherCtx ctx(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  const std::uint8_t iv[16] = {};  // the spec's zero IV: every key is used once
  SecureBytes out(plain.size());
  int len = 0, fin = 0;
  ossl::check(EVP_EncryptInit_ex(ctx.get(), algs::aes128_cfb(), nullptr, key.data(), iv) == 1 &&
                  EVP_EncryptUpdate(ctx.get(), out.data(), &len, plain.data(),
                                    static_cast<int>(plain.size())) == 1 &&
                  EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &fin) == 1,
              "AES-128-CFB");
  return out;
}

// The parent's public area: the SRK template (templates.cpp) with its point.
TPM2B_PUBLIC parent_public_area(const Point& key) {
  TPM2B_PUBLIC pub = srk_template();
  pub.publicArea.unique.ecc = ecc_point(key);
  return pub;
}

}  // namespace

Bytes TpmParentPublic::to_tpm2b_public() const { return marshal_public(parent_public_area(key)); }

TpmParentPublic TpmParentPublic::from_tpm2b_public(ByteView data) {
  const TPM2B_PUBLIC pub = unmarshal_public(data, "TPM parent public key (TPM2B_PUBLIC)");
  const TPMT_PUBLIC& a = pub.publicArea;
  const TPMT_PUBLIC srk = srk_template().publicArea;
  if (a.type != TPM2_ALG_ECC || a.nameAlg != TPM2_ALG_SHA256 ||
      a.parameters.eccDetail.symmetric.algorithm != TPM2_ALG_AES)
    fail(Errc::unsupported, "TPM parent is not an ECC key with nameAlg SHA-256 and AES");
  const auto& ecc = a.parameters.eccDetail;
  const auto& want = srk.parameters.eccDetail;
  const TPMA_OBJECT storage = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  if (ecc.symmetric.keyBits.aes != want.symmetric.keyBits.aes ||
      ecc.symmetric.mode.aes != want.symmetric.mode.aes ||
      ecc.scheme.scheme != want.scheme.scheme || ecc.curveID != want.curveID ||
      ecc.kdf.scheme != want.kdf.scheme || (a.objectAttributes & storage) != storage)
    fail(Errc::unsupported,
         "TPM parent is not a P-256 restricted decrypt key with AES-128-CFB (the SRK template)");
  return TpmParentPublic{point_from_public(pub)};
}

DuplicateBlob duplicate_for_parent(const TpmParentPublic& parent, const TPM2B_PUBLIC& pub,
                                   const TPMT_SENSITIVE& sensitive) {
  if (parent.key.curve() != Curve::p256())
    fail(Errc::unsupported, "TPM duplication is implemented for P-256 parents only");

  DuplicateBlob blob;
  blob.pub = pub;
  // The outer HMAC and the storage key bind the wrapped sensitive area to the object's Name,
  // so the TPM rejects a public area that was swapped.
  const Bytes name = object_name(blob.pub.publicArea);

  // Seed: one-pass ECDH to the parent's key (Part 1 §C.6.4), KDFe label "DUPLICATE".
  const Scalar ephemeral = Scalar::random(Curve::p256());
  const Point ephemeral_public = ephemeral.public_point();
  const Point z = parent.key.times(ephemeral);
  const SecureBytes zx = z.secret_x();
  const SecureBytes seed =
      kdfe_sha256(zx, "DUPLICATE", ephemeral_public.x_bytes(), parent.key.x_bytes(), kSha256Bits);
  blob.seed = ecc_encrypted_secret(ecc_point(ephemeral_public));

  // Outer wrapper (Part 1 §23.3.2.3): AES-128-CFB under KDFa "STORAGE", then an HMAC under
  // KDFa "INTEGRITY" over the ciphertext and the Name.
  const UINT16 sym_bits = srk_template().publicArea.parameters.eccDetail.symmetric.keyBits.aes;
  const SecureBytes sym_key = kdfa_sha256(seed, "STORAGE", name, {}, sym_bits);
  const SecureBytes hmac_key = kdfa_sha256(seed, "INTEGRITY", {}, {}, kSha256Bits);
  const SecureBytes enc = aes128_cfb_encrypt(sym_key, marshal_sensitive(sensitive));
  const Bytes mac = algs::hmac_sha256(hmac_key, {enc, name});
  TPM2B_DIGEST integrity{};
  integrity.size = static_cast<UINT16>(mac.size());
  std::memcpy(integrity.buffer, mac.data(), mac.size());
  blob.duplicate = outer_wrapped_private(integrity, enc);
  return blob;
}

}  // namespace recrypt::tpm
