// The admin side of "pkcs11-ecdh-aeskwp-v1" checked in software only, with OpenSSL playing
// the token: what docs/PKCS11.md says is enough to unwrap it.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pkcs11/pkcs11_backend.hpp"
#include "pkcs11/share_wrap.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

TEST(ShareWrap, UnwrapsWithOpenSSLToTheShare) {
  const Curve& curve = Curve::p256();
  Scalar d = Scalar::random(curve);
  Scalar share = Scalar::random(curve);
  auto wrapped = pkcs11::wrap_share_for_pkcs11(d.public_point(), share);
  ASSERT_EQ(wrapped.format, "pkcs11-ecdh-aeskwp-v1");
  ASSERT_EQ(wrapped.data[0], 1);
  auto parsed = pkcs11::parse_kwp_share(wrapped.data);
  EXPECT_TRUE(parsed.device_key == d.public_point());
  EXPECT_TRUE(parsed.share_public == share.public_point());

  Bytes kek = parsed.ephemeral.times(d).x_bytes();
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  ASSERT_EQ(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_wrap_pad(), nullptr, kek.data(), nullptr), 1);
  Bytes plain(parsed.wrapped.size() + 16);
  int n = 0, m = 0;
  ASSERT_EQ(EVP_DecryptUpdate(ctx.get(), plain.data(), &n, parsed.wrapped.data(),
                              static_cast<int>(parsed.wrapped.size())),
            1);
  ASSERT_EQ(EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &m), 1);
  plain.resize(static_cast<std::size_t>(n + m));

  const unsigned char* p = plain.data();
  PKCS8_PRIV_KEY_INFO* p8 = d2i_PKCS8_PRIV_KEY_INFO(nullptr, &p, static_cast<long>(plain.size()));
  ASSERT_NE(p8, nullptr);
  EVP_PKEY* key = EVP_PKCS82PKEY(p8);
  PKCS8_PRIV_KEY_INFO_free(p8);
  ASSERT_NE(key, nullptr);
  BIGNUM* priv = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
  Bytes got(32);
  BN_bn2binpad(priv, got.data(), 32);
  BN_clear_free(priv);
  EVP_PKEY_free(key);
  SecureBytes want = share.to_bytes();
  EXPECT_EQ(got, Bytes(want.begin(), want.end()));
}

TEST(ShareWrap, MalformedDataIsRejected) {
  EXPECT_THROW(pkcs11::parse_kwp_share(Bytes{}), Error);
  EXPECT_THROW(pkcs11::parse_kwp_share(Bytes(10, 1)), Error);
  Bytes v2(300, 0);
  v2[0] = 2;
  EXPECT_THROW(pkcs11::parse_kwp_share(v2), Error);
  Scalar d = Scalar::random(Curve::p256());
  auto good = pkcs11::wrap_share_for_pkcs11(d.public_point(), Scalar::random(Curve::p256())).data;
  Bytes odd(good.begin(), good.end());
  odd.pop_back();
  EXPECT_THROW(pkcs11::parse_kwp_share(odd), Error);
  Bytes bad_point(good.begin(), good.end());
  bad_point[10] ^= 0x55;
  EXPECT_THROW(pkcs11::parse_kwp_share(bad_point), Error);
}

}  // namespace
}  // namespace recrypt::testing
