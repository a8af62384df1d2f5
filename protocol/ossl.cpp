#include "protocol/ossl.hpp"

#include <openssl/err.h>
#include <openssl/kdf.h>

#include <string>

namespace recrypt::ossl {

void check(bool ok, const char* where) {
  if (ok) return;
  unsigned long e = ERR_get_error();
  std::string msg = std::string("OpenSSL failure in ") + where;
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  throw Error(Errc::internal, msg);
}

void kdf_derive(const char* name, const OSSL_PARAM* params, std::span<std::uint8_t> out) {
  if (out.empty()) throw Error(Errc::internal, std::string(name) + ": nothing to derive");
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, name, nullptr);
  check(kdf != nullptr, "EVP_KDF_fetch");
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  check(ctx != nullptr, "EVP_KDF_CTX_new");
  int rc = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  check(rc == 1, name);
}

BnCtx new_bn_ctx() { return BnCtx(check_ptr(BN_CTX_secure_new(), "BN_CTX_secure_new")); }

Bn new_secure_bn() {
  Bn bn(check_ptr(BN_secure_new(), "BN_secure_new"));
  BN_set_flags(bn.get(), BN_FLG_CONSTTIME);
  return bn;
}

Pkey ec_key_from_params(int selection, OSSL_PARAM* params) {
  PkeyCtx ctx(
      check_ptr(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), "EVP_PKEY_CTX_new_from_name"));
  EVP_PKEY* raw = nullptr;
  check(EVP_PKEY_fromdata_init(ctx.get()) == 1, "EVP_PKEY_fromdata_init");
  check(EVP_PKEY_fromdata(ctx.get(), &raw, selection, params) == 1, "EVP_PKEY_fromdata");
  return Pkey(raw);
}

}  // namespace recrypt::ossl
