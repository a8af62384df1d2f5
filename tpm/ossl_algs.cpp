#include "tpm/ossl_algs.hpp"

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "base/error.hpp"
#include "protocol/ossl.hpp"

namespace recrypt::tpm::algs {
namespace {

// An HMAC context with SHA-256 chosen but no key: each use duplicates it and sets the key,
// so the digest is never looked up again. Read-only after creation, so threads may share it.
const EVP_MAC_CTX* hmac_template() {
  static EVP_MAC_CTX* const ctx = [] {
    EVP_MAC* mac = ossl::check_ptr(EVP_MAC_fetch(nullptr, "HMAC", nullptr), "EVP_MAC_fetch");
    EVP_MAC_CTX* c = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    ossl::check(c != nullptr, "EVP_MAC_CTX_new");
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    ossl::check(EVP_MAC_CTX_set_params(c, params) == 1, "EVP_MAC_CTX_set_params");
    return c;
  }();
  return ctx;
}

}  // namespace

const EVP_MD* sha256() {
  static EVP_MD* const md =
      ossl::check_ptr(EVP_MD_fetch(nullptr, "SHA256", nullptr), "EVP_MD_fetch");
  return md;
}

const EVP_CIPHER* aes128_cfb() {
  static EVP_CIPHER* const cipher =
      ossl::check_ptr(EVP_CIPHER_fetch(nullptr, "AES-128-CFB", nullptr), "EVP_CIPHER_fetch");
  return cipher;
}

Bytes sha256_of(std::initializer_list<ByteView> parts) {
  ossl::MdCtx ctx(ossl::check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl::check(EVP_DigestInit_ex(ctx.get(), sha256(), nullptr) == 1, "EVP_DigestInit_ex");
  for (auto p : parts)
    ossl::check(EVP_DigestUpdate(ctx.get(), p.data(), p.size()) == 1, "EVP_DigestUpdate");
  Bytes out(32);
  ossl::check(EVP_DigestFinal_ex(ctx.get(), out.data(), nullptr) == 1, "EVP_DigestFinal_ex");
  return out;
}

void hmac_sha256(ByteView key, std::initializer_list<ByteView> parts, std::span<std::uint8_t> out) {
  if (out.size() != 32) fail(Errc::internal, "HMAC-SHA-256 output buffer is not 32 bytes");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(hmac_template());
  ossl::check(ctx != nullptr, "EVP_MAC_CTX_dup");
  struct Free {
    EVP_MAC_CTX* c;
    ~Free() { EVP_MAC_CTX_free(c); }
  } guard{ctx};
  // A zero-length key is legal for HMAC but OpenSSL wants a non-null pointer.
  static const std::uint8_t empty = 0;
  ossl::check(EVP_MAC_init(ctx, key.empty() ? &empty : key.data(), key.size(), nullptr) == 1,
              "EVP_MAC_init");
  for (auto p : parts) ossl::check(EVP_MAC_update(ctx, p.data(), p.size()) == 1, "EVP_MAC_update");
  std::size_t len = 0;
  ossl::check(EVP_MAC_final(ctx, out.data(), &len, out.size()) == 1 && len == 32, "EVP_MAC_final");
}

Bytes hmac_sha256(ByteView key, std::initializer_list<ByteView> parts) {
  Bytes out(32);
  hmac_sha256(key, parts, out);
  return out;
}

}  // namespace recrypt::tpm::algs
