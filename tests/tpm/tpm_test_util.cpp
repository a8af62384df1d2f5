#include "tests/tpm/tpm_test_util.hpp"

#include <openssl/bn.h>
#include <openssl/ecdsa.h>

namespace recrypt::testing {

bool verify_es256(const Point& key, std::string_view message, ByteView sig) {
  if (sig.size() != 64) return false;
  ECDSA_SIG* s = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(sig.data(), 32, nullptr);
  BIGNUM* ss = BN_bin2bn(sig.data() + 32, 32, nullptr);
  ECDSA_SIG_set0(s, r, ss);
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(s, &der);
  ECDSA_SIG_free(s);
  ossl::Pkey pkey = key.to_evp_pkey();
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  const bool ok =
      der_len > 0 &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

Bytes sha256(std::string_view text) {
  Bytes out(32);
  EVP_Digest(text.data(), text.size(), out.data(), nullptr, EVP_sha256(), nullptr);
  return out;
}

}  // namespace recrypt::testing
