#include "tpm/share_wrap.hpp"

#include <openssl/evp.h>

#include "protocol/ossl.hpp"
#include "tpm/kdf.hpp"
#include "tpm/ossl_algs.hpp"

namespace recrypt::tpm {
namespace {

// TPM 2.0 constants (Part 2) that the wire layout needs; written out so that this file does not
// depend on tpm2-tss.
constexpr std::uint16_t kAlgEcc = 0x0023;
constexpr std::uint16_t kAlgSha256 = 0x000B;
constexpr std::uint16_t kAlgNull = 0x0010;
constexpr std::uint16_t kCurveP256 = 0x0003;
constexpr std::uint16_t kAlgAes = 0x0006;
constexpr std::uint16_t kAlgCfb = 0x0043;
constexpr std::uint32_t kAttrFixedTpm = 0x00000002;
constexpr std::uint32_t kAttrFixedParent = 0x00000010;
constexpr std::uint32_t kAttrSensitiveDataOrigin = 0x00000020;
constexpr std::uint32_t kAttrRestricted = 0x00010000;
constexpr std::uint32_t kAttrUserWithAuth = 0x00000040;
constexpr std::uint32_t kAttrNoDa = 0x00000400;
constexpr std::uint32_t kAttrDecrypt = 0x00020000;
constexpr std::size_t kParentSymBits = 128;  // AES-128-CFB of the SRK template
constexpr std::size_t kSha256Bits = 256;

void put16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(Bytes& out, std::uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xFFFF);
}
template <class Buf>
void put_tpm2b(Buf& out, ByteView data) {
  out.push_back(static_cast<std::uint8_t>(data.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}

// TPMS_ECC_POINT: two size-prefixed coordinates.
Bytes ecc_point(const Point& p) {
  Bytes out;
  put_tpm2b(out, p.x_bytes());
  put_tpm2b(out, p.y_bytes());
  return out;
}

// The object's Name: nameAlg || SHA-256(TPMT_PUBLIC). The outer HMAC and the storage key bind
// the wrapped sensitive area to it, so the TPM rejects a public area that was swapped.
Bytes object_name(ByteView public_area) {
  Bytes name;
  put16(name, kAlgSha256);
  const Bytes digest = algs::sha256_of({public_area});
  name.insert(name.end(), digest.begin(), digest.end());
  return name;
}

// TPM2B_SENSITIVE for an ECC private key: empty authValue and seedValue (an unrestricted
// asymmetric key has no seed), then the scalar.
SecureBytes sensitive_area(const Scalar& share) {
  const SecureBytes d = share.to_bytes();
  SecureBytes inner;
  inner.push_back(kAlgEcc >> 8);
  inner.push_back(kAlgEcc & 0xFF);
  put_tpm2b(inner, {});  // authValue
  put_tpm2b(inner, {});  // seedValue
  put_tpm2b(inner, d);
  SecureBytes out;
  put_tpm2b(out, inner);
  return out;
}

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

// Reads big-endian fields of a marshalled structure, refusing to run past its end.
class Cursor {
 public:
  explicit Cursor(ByteView data) : data_(data) {}
  std::uint16_t u16() {
    need(2);
    const auto v = static_cast<std::uint16_t>((data_[off_] << 8) | data_[off_ + 1]);
    off_ += 2;
    return v;
  }
  std::uint32_t u32() {
    const std::uint32_t hi = u16();
    return (hi << 16) | u16();
  }
  ByteView tpm2b() {
    const std::size_t n = u16();
    need(n);
    const ByteView v = data_.subspan(off_, n);
    off_ += n;
    return v;
  }
  bool done() const { return off_ == data_.size(); }

 private:
  void need(std::size_t n) const {
    if (data_.size() - off_ < n) fail(Errc::truncated, "truncated TPM2B_PUBLIC");
  }
  ByteView data_;
  std::size_t off_ = 0;
};

// The parent's public area as the SRK template makes it (templates.cpp, written out here so
// that the admin side needs no tpm2-tss).
Bytes parent_public_area(const Point& key) {
  Bytes out;
  put16(out, kAlgEcc);
  put16(out, kAlgSha256);
  put32(out, kAttrFixedTpm | kAttrFixedParent | kAttrSensitiveDataOrigin | kAttrUserWithAuth |
                 kAttrNoDa | kAttrRestricted | kAttrDecrypt);
  put16(out, 0);
  put16(out, kAlgAes);
  put16(out, kParentSymBits);
  put16(out, kAlgCfb);
  put16(out, kAlgNull);
  put16(out, kCurveP256);
  put16(out, kAlgNull);
  const Bytes point = ecc_point(key);
  out.insert(out.end(), point.begin(), point.end());
  return out;
}

}  // namespace

Bytes TpmParentPublic::to_tpm2b_public() const {
  Bytes out;
  put_tpm2b(out, parent_public_area(key));
  return out;
}

TpmParentPublic TpmParentPublic::from_tpm2b_public(ByteView data) {
  Cursor outer(data);
  Cursor c(outer.tpm2b());
  if (!outer.done()) fail(Errc::malformed, "trailing bytes after TPM2B_PUBLIC");
  const bool ecc = c.u16() == kAlgEcc;
  const bool sha256 = c.u16() == kAlgSha256;
  const std::uint32_t attrs = c.u32();
  c.tpm2b();  // authPolicy: irrelevant to wrapping
  const std::uint16_t sym = c.u16();
  if (!ecc || !sha256 || sym != kAlgAes)
    fail(Errc::unsupported, "TPM parent is not an ECC key with nameAlg SHA-256 and AES");
  const std::uint16_t key_bits = c.u16();
  const std::uint16_t mode = c.u16();
  const std::uint16_t scheme = c.u16();
  const std::uint16_t curve = c.u16();
  const std::uint16_t kdf = c.u16();
  constexpr std::uint32_t kStorage = kAttrRestricted | kAttrDecrypt;
  if (key_bits != kParentSymBits || mode != kAlgCfb || scheme != kAlgNull ||
      curve != kCurveP256 || kdf != kAlgNull || (attrs & kStorage) != kStorage)
    fail(Errc::unsupported,
         "TPM parent is not a P-256 restricted decrypt key with AES-128-CFB (the SRK template)");
  // A TPM may drop leading zero octets of a coordinate; put them back.
  auto coordinate = [](ByteView v) {
    if (v.size() > 32) fail(Errc::invalid_key, "TPM parent coordinate longer than 32 bytes");
    Bytes out(32 - v.size(), 0);
    out.insert(out.end(), v.begin(), v.end());
    return out;
  };
  const Bytes x = coordinate(c.tpm2b());
  const Bytes y = coordinate(c.tpm2b());
  if (!c.done()) fail(Errc::malformed, "trailing bytes in the parent's public area");
  return TpmParentPublic{Point::from_coordinates(Curve::p256(), x, y)};
}

Bytes share_public_area(const Point& share_public) {
  if (share_public.curve() != Curve::p256())
    fail(Errc::unsupported, "TPM shares are P-256 only");
  Bytes out;
  put16(out, kAlgEcc);
  put16(out, kAlgSha256);
  put32(out, kAttrUserWithAuth | kAttrNoDa | kAttrDecrypt);
  put16(out, 0);          // authPolicy: none
  put16(out, kAlgNull);   // symmetric: none (not a storage key)
  put16(out, kAlgNull);   // scheme: none, so ECDH_ZGen is allowed
  put16(out, kCurveP256);
  put16(out, kAlgNull);   // kdf: none
  const Bytes point = ecc_point(share_public);
  out.insert(out.end(), point.begin(), point.end());
  return out;
}

backend::WrappedShare wrap_share_for_tpm(const TpmParentPublic& parent, const Scalar& share) {
  if (parent.key.curve() != Curve::p256() || share.curve() != Curve::p256())
    fail(Errc::unsupported, "TPM duplication is implemented for P-256 parents and shares only");

  const Bytes public_area = share_public_area(share.public_point());
  const Bytes name = object_name(public_area);

  // Seed: one-pass ECDH to the parent's key (Part 1 §C.6.4), KDFe label "DUPLICATE".
  const Scalar ephemeral = Scalar::random(Curve::p256());
  const Point ephemeral_public = ephemeral.public_point();
  const Point z = parent.key.times(ephemeral);
  SecureBytes zx = secure_copy(z.x_bytes());
  const SecureBytes seed = kdfe_sha256(zx, "DUPLICATE", ephemeral_public.x_bytes(),
                                       parent.key.x_bytes(), kSha256Bits);

  // Outer wrapper (Part 1 §23.3.2.3): AES-128-CFB under KDFa "STORAGE", then an HMAC under
  // KDFa "INTEGRITY" over the ciphertext and the Name.
  const SecureBytes sym_key = kdfa_sha256(seed, "STORAGE", name, {}, kParentSymBits);
  const SecureBytes hmac_key = kdfa_sha256(seed, "INTEGRITY", {}, {}, kSha256Bits);
  const SecureBytes enc = aes128_cfb_encrypt(sym_key, sensitive_area(share));
  const Bytes integrity = algs::hmac_sha256(hmac_key, {enc, name});

  Bytes duplicate;
  put_tpm2b(duplicate, integrity);
  duplicate.insert(duplicate.end(), enc.begin(), enc.end());

  // tpm2-duplicate-v1: "RCTD" 0x01 || TPM2B_PUBLIC || TPM2B_PRIVATE || TPM2B_ENCRYPTED_SECRET
  backend::WrappedShare out;
  out.format = std::string(kDuplicateFormat);
  const std::string_view magic = "RCTD";
  out.data.assign(magic.begin(), magic.end());
  out.data.push_back(0x01);
  put_tpm2b(out.data, public_area);
  put_tpm2b(out.data, duplicate);
  put_tpm2b(out.data, ecc_point(ephemeral_public));
  return out;
}

}  // namespace recrypt::tpm
