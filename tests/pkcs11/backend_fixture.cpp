#include "backend_fixture.hpp"

#include <openssl/ecdsa.h>

#include <cstdio>

namespace recrypt::testing {

void TokenTest::SetUp() {
  // The proxy tests see SoftHSM2 only, not the machine's other modules.
  if (!hsm.private_p11_kit()) std::fprintf(stderr, "note: p11-kit keeps the system's modules\n");
  hsm.init_token("alice");
}

pkcs11::Pkcs11Config TokenTest::config(const std::string& label, const std::string& module) const {
  pkcs11::Pkcs11Config c;
  c.module_path = module;
  c.token_uri = "pkcs11:token=" + label;
  c.data_dir = (hsm.dir() / "data").string();
  c.rescan_interval = std::chrono::milliseconds(0);
  return c;
}

std::unique_ptr<backend::Backend> TokenTest::make_backend(const std::string& label,
                                                          const std::string& module) {
  return pkcs11::make_pkcs11_backend(config(label, module), pins.source());
}

Bytes sha256(ByteView message) {
  Bytes d(32);
  unsigned int n = 0;
  EVP_Digest(message.data(), message.size(), d.data(), &n, EVP_sha256(), nullptr);
  return d;
}

bool verify_es256(const Point& pub, ByteView message, ByteView raw_sig) {
  if (raw_sig.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(raw_sig.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw_sig.data() + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  ossl::Pkey key = pub.to_evp_pkey();
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  bool ok = ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_len), message.data(),
                             message.size()) == 1;
  OPENSSL_free(der);
  return ok;
}

}  // namespace recrypt::testing
