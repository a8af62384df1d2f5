// KDFa and KDFe checked against OpenSSL's independent SP 800-108 (KBKDF) and SP 800-56C
// (SSKDF) implementations.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "base/error.hpp"
#include "tpm/kdf.hpp"
#include "tpm/ossl_algs.hpp"

namespace recrypt::testing {
namespace {

Bytes openssl_kdf(const char* name, std::vector<OSSL_PARAM> params, std::size_t len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  params.push_back(OSSL_PARAM_construct_end());
  Bytes out(len);
  EXPECT_EQ(EVP_KDF_derive(ctx, out.data(), out.size(), params.data()), 1);
  EVP_KDF_CTX_free(ctx);
  return out;
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

TEST(TpmKdf, KdfaIsSp800108CounterModeHmacSha256) {
  Bytes key(32, 0x0B), label = bytes_of("STORAGE"), u = bytes_of("context-u"), v = bytes_of("v");
  for (std::size_t bits : {128u, 256u, 512u}) {
    Bytes info = u;
    info.insert(info.end(), v.begin(), v.end());
    char mac[] = "HMAC", digest[] = "SHA256", mode[] = "counter";
    const Bytes expected = openssl_kdf(
        "KBKDF",
        {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, mac, 0),
         OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
         OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, mode, 0),
         OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key.data(), key.size()),
         OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, label.data(), label.size()),
         OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size())},
        bits / 8);
    const SecureBytes got = tpm::kdfa_sha256(key, "STORAGE", u, v, bits);
    EXPECT_EQ(Bytes(got.begin(), got.end()), expected) << bits;
  }
}

TEST(TpmKdf, KdfeIsSp80056ConcatKdfSha256) {
  Bytes z(32, 0x42), u(32, 0x01), v(32, 0x02);
  // FixedInfo = label with its zero octet || party U || party V
  const std::string fixed =
      std::string("DUPLICATE", 10) + std::string(32, '\x01') + std::string(32, '\x02');
  Bytes info = bytes_of(fixed);
  char digest[] = "SHA256";
  const Bytes expected = openssl_kdf(
      "SSKDF",
      {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
       OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z.data(), z.size()),
       OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size())},
      32);
  const SecureBytes got = tpm::kdfe_sha256(z, "DUPLICATE", u, v, 256);
  EXPECT_EQ(Bytes(got.begin(), got.end()), expected);
}

TEST(TpmKdf, HmacOutputMustBeOneDigest) {
  const Bytes key(32, 0x0B);
  std::uint8_t out[33] = {};
  EXPECT_THROW(tpm::algs::hmac_sha256(key, {}, std::span(out).first(31)), Error);
  EXPECT_THROW(tpm::algs::hmac_sha256(key, {}, std::span(out)), Error);
  tpm::algs::hmac_sha256(key, {as_bytes("m")}, std::span(out).first(32));
  EXPECT_EQ(Bytes(out, out + 32), tpm::algs::hmac_sha256(key, {as_bytes("m")}));
  EXPECT_EQ(out[32], 0) << "written past the digest";
}

}  // namespace
}  // namespace recrypt::testing
