// OpenSSL algorithms fetched once per process. OpenSSL 3 looks an algorithm up by name on
// every implicit use (EVP_sha256(), one-shot HMAC()), which costs more than hashing the few
// bytes of a TPM session; the session code runs on every decryption, so it uses these.
#pragma once

#include <openssl/evp.h>

#include <initializer_list>
#include <span>

#include "base/bytes.hpp"

namespace recrypt::tpm::algs {

const EVP_MD* sha256();
const EVP_CIPHER* aes128_cfb();

Bytes sha256_of(std::initializer_list<ByteView> parts);
// HMAC-SHA-256 of the concatenation of `parts`, written to `out`, which must be 32 bytes
// (Error(internal) otherwise).
void hmac_sha256(ByteView key, std::initializer_list<ByteView> parts, std::span<std::uint8_t> out);
Bytes hmac_sha256(ByteView key, std::initializer_list<ByteView> parts);

}  // namespace recrypt::tpm::algs
