// Owning handles for OpenSSL objects and one check that turns a failed OpenSSL call into an
// Error naming where it happened. Internal to the protocol library and its backends.
#pragma once

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdint>

#include <memory>
#include <span>

#include "base/error.hpp"

namespace recrypt::ossl {

struct BnFree {
  void operator()(BIGNUM* p) const noexcept { BN_clear_free(p); }
};
struct BnCtxFree {
  void operator()(BN_CTX* p) const noexcept { BN_CTX_free(p); }
};
struct PointFree {
  void operator()(EC_POINT* p) const noexcept { EC_POINT_clear_free(p); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const noexcept { EVP_PKEY_CTX_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const noexcept { EVP_CIPHER_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};

using Bn = std::unique_ptr<BIGNUM, BnFree>;
using BnCtx = std::unique_ptr<BN_CTX, BnCtxFree>;
using EcPoint = std::unique_ptr<EC_POINT, PointFree>;
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Throws Error(internal) naming `where` and OpenSSL's queued reason when `ok` is false.
void check(bool ok, const char* where);

template <class T>
T* check_ptr(T* p, const char* where) {
  check(p != nullptr, where);
  return p;
}

// Runs OpenSSL's KDF `name` ("SSKDF", "HKDF", "SCRYPT", ...) with `params`, filling `out`
// (its size is the length derived; Error(internal) when empty).
void kdf_derive(const char* name, const OSSL_PARAM* params, std::span<std::uint8_t> out);

// An EC key made from `params` (EVP_PKEY_fromdata); `selection` is EVP_PKEY_PUBLIC_KEY or
// EVP_PKEY_KEYPAIR.
Pkey ec_key_from_params(int selection, OSSL_PARAM* params);

BnCtx new_bn_ctx();
Bn new_secure_bn();  // constant-time flag set, allocated from the secure heap when there is one

}  // namespace recrypt::ossl
