// The sealed-blob layout of docs/PKCS11.md, re-implemented from the document with OpenSSL:
// a software key plays the token so the test knows d.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>

#include "pkcs11/sealed_blob.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

Bytes hkdf_sha256(ByteView ikm, ByteView info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  char md[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(ikm.data()),
                                        ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<std::uint8_t*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  Bytes out(32);
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params), 1);
  EVP_KDF_CTX_free(ctx);
  return out;
}

TEST(SealedLayout, OpensFromTheDocumentedLayout) {
  const Curve& curve = Curve::p256();
  Scalar d = Scalar::random(curve);
  Bytes secret = to_bytes(as_bytes("group master key bytes 32 long!!"));
  const std::string uri = "pkcs11:token=alice;object=recrypt-seal;type=private";
  Bytes blob = pkcs11::seal_to_token_key(d.public_point(), uri, "grp", secret);

  ASSERT_EQ(std::string(blob.begin(), blob.begin() + 4), "RPKS");
  ASSERT_EQ(blob[4], 1);
  Point e = Point::from_uncompressed(curve, ByteView(blob).subspan(5, 65));
  Point big_d = Point::from_uncompressed(curve, ByteView(blob).subspan(70, 65));
  EXPECT_TRUE(big_d == d.public_point());
  std::size_t u = (std::size_t{blob[135]} << 8) | blob[136];
  EXPECT_EQ(std::string(blob.begin() + 137, blob.begin() + 137 + static_cast<long>(u)), uri);
  std::size_t at = 137 + u;
  std::size_t l = (std::size_t{blob[at]} << 8) | blob[at + 1];
  EXPECT_EQ(std::string(blob.begin() + static_cast<long>(at + 2),
                        blob.begin() + static_cast<long>(at + 2 + l)),
            "grp");
  std::size_t nonce_at = at + 2 + l, ct_at = nonce_at + 12;
  ASSERT_EQ(blob.size(), ct_at + secret.size() + 16);

  Bytes info = to_bytes(as_bytes("recrypt-pkcs11-seal-v1"));
  Bytes eb = e.to_uncompressed(), db = big_d.to_uncompressed();
  info.insert(info.end(), eb.begin(), eb.end());
  info.insert(info.end(), db.begin(), db.end());
  Bytes kek = hkdf_sha256(e.times(d).x_bytes(), info);

  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  ASSERT_EQ(EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, kek.data(), blob.data() + nonce_at),
            1);
  int n = 0;
  ASSERT_EQ(EVP_DecryptUpdate(ctx, nullptr, &n, blob.data(), static_cast<int>(nonce_at + 12)), 1);
  Bytes plain(secret.size());
  ASSERT_EQ(EVP_DecryptUpdate(ctx, plain.data(), &n, blob.data() + ct_at,
                              static_cast<int>(secret.size())),
            1);
  ASSERT_EQ(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, blob.data() + ct_at + secret.size()),
            1);
  int m = 0;
  EXPECT_EQ(EVP_DecryptFinal_ex(ctx, plain.data() + n, &m), 1);
  EVP_CIPHER_CTX_free(ctx);
  EXPECT_EQ(plain, secret);

  // And the library's own opener agrees, given x(d·E) as the token would compute it.
  auto parsed = pkcs11::parse_sealed_blob(blob);
  SecureBytes back = pkcs11::open_sealed_blob(parsed, blob, e.times(d).x_bytes());
  EXPECT_EQ(Bytes(back.begin(), back.end()), secret);
}

}  // namespace
}  // namespace recrypt::testing
