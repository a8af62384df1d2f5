#include "pkcs11/share_wrap.hpp"

#include <openssl/x509.h>

#include "pkcs11/pkcs11_backend.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"

namespace recrypt::pkcs11 {

namespace {

struct P8Free {
  void operator()(PKCS8_PRIV_KEY_INFO* p) const noexcept { PKCS8_PRIV_KEY_INFO_free(p); }
};

// RFC 5649 key wrap with padding, the CKM_AES_KEY_WRAP_PAD of PKCS#11 3.0 (default IV).
Bytes aes_kwp_wrap(ByteView kek, ByteView plain) {
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  ossl::check(ctx != nullptr, "EVP_CIPHER_CTX_new");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  ossl::check(
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr, kek.data(), nullptr) == 1,
      "EVP_EncryptInit_ex(aes-256-wrap-pad)");
  Bytes out(plain.size() + 16);
  int n = 0;
  ossl::check(EVP_EncryptUpdate(ctx.get(), out.data(), &n, plain.data(),
                                static_cast<int>(plain.size())) == 1,
              "EVP_EncryptUpdate(aes-256-wrap-pad)");
  int m = 0;
  ossl::check(EVP_EncryptFinal_ex(ctx.get(), out.data() + n, &m) == 1, "EVP_EncryptFinal_ex");
  out.resize(static_cast<std::size_t>(n + m));
  return out;
}

void put(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

}  // namespace

SecureBytes pkcs8_private_key(const Scalar& share) {
  ossl::Pkey pkey = share.to_evp_pkey();
  std::unique_ptr<PKCS8_PRIV_KEY_INFO, P8Free> p8(EVP_PKEY2PKCS8(pkey.get()));
  ossl::check(p8 != nullptr, "EVP_PKEY2PKCS8");
  unsigned char* der = nullptr;
  int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
  ossl::check(n > 0 && der != nullptr, "i2d_PKCS8_PRIV_KEY_INFO");
  SecureBytes out(der, der + n);
  OPENSSL_clear_free(der, static_cast<std::size_t>(n));
  return out;
}

Bytes encode_kwp_share(const Point& device_key, const Scalar& share) {
  const Curve& curve = device_key.curve();
  if (!(share.curve() == curve))
    fail(Errc::invalid_key, "share and device key on different curves");
  Scalar e = Scalar::random(curve);
  const SecureBytes kek = device_key.times(e).secret_x();
  SecureBytes plain = pkcs8_private_key(share);
  Bytes wrapped = aes_kwp_wrap(kek, plain);

  Bytes out;
  out.push_back(kShareWrapVersion);
  put(out, device_key.to_uncompressed());
  put(out, e.public_point().to_uncompressed());
  put(out, share.public_point().to_uncompressed());
  put(out, wrapped);
  return out;
}

KwpShare parse_kwp_share(ByteView data) {
  const Curve& curve = Curve::p256();
  const std::size_t pl = 1 + 2 * curve.coordinate_size();
  if (data.empty()) fail(Errc::truncated, "wrapped share is empty");
  if (data[0] != kShareWrapVersion) fail(Errc::unsupported, "wrapped share version not supported");
  if (data.size() < 1 + 3 * pl + 16) fail(Errc::truncated, "wrapped share too short");
  ByteView rest = data.subspan(1 + 3 * pl);
  // RFC 5649 output is a multiple of 8 bytes; a PKCS#8 P-256 key is well under 1 KiB.
  if (rest.size() % 8 != 0 || rest.size() > 1024)
    fail(Errc::malformed, "wrapped key has a bad length");
  return KwpShare{Point::from_uncompressed(curve, data.subspan(1, pl)),
                  Point::from_uncompressed(curve, data.subspan(1 + pl, pl)),
                  Point::from_uncompressed(curve, data.subspan(1 + 2 * pl, pl)), to_bytes(rest)};
}

backend::WrappedShare wrap_share_for_pkcs11(const Point& device_encryption_key,
                                            const Scalar& share) {
  return {kShareFormatKwp, secure_copy(encode_kwp_share(device_encryption_key, share))};
}

backend::WrappedShare raw_share_for_pkcs11(const Scalar& share) {
  return {std::string(backend::kRawScalarShare), share.to_bytes()};
}

}  // namespace recrypt::pkcs11
