#include "protocol/primitives.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include <limits>

#include "base/error.hpp"

namespace recrypt {
namespace {

void append_be32(Bytes& out, std::size_t v) {
  if (v > std::numeric_limits<std::uint32_t>::max()) fail(Errc::too_large, "KDF input too large");
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void append_prefixed(Bytes& out, ByteView data) {
  append_be32(out, data.size());
  out.insert(out.end(), data.begin(), data.end());
}

int int_size(std::size_t n) {
  if (n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail(Errc::too_large, "input too large");
  return static_cast<int>(n);
}

}  // namespace

std::array<std::uint8_t, kSha256Size> sha256(ByteView data) {
  std::array<std::uint8_t, kSha256Size> out{};
  ossl::check(EVP_Digest(data.data(), data.size(), out.data(), nullptr, EVP_sha256(), nullptr) == 1,
              "EVP_Digest(SHA-256)");
  return out;
}

SecureBytes concat_kdf(ByteView shared_secret, std::string_view algorithm_id, ByteView party_u_info,
                       ByteView party_v_info, std::size_t key_bytes) {
  Bytes other_info;
  append_prefixed(other_info, as_bytes(algorithm_id));
  append_prefixed(other_info, party_u_info);
  append_prefixed(other_info, party_v_info);
  append_be32(other_info, key_bytes * 8);

  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<std::uint8_t*>(shared_secret.data()),
                                        shared_secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, other_info.data(), other_info.size()),
      OSSL_PARAM_construct_end()};
  SecureBytes out(key_bytes);
  ossl::kdf_derive("SSKDF", params, out);
  return out;
}

SecureBytes scrypt(ByteView passphrase, ByteView salt, std::uint64_t n, std::uint32_t r,
                   std::uint32_t p, std::size_t out_bytes) {
  // OpenSSL refuses more than 32 MiB unless told how much scrypt may use.
  std::uint64_t maxmem = 128ull * r * (n + p) + (1u << 20);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_PASSWORD, const_cast<std::uint8_t*>(passphrase.data()), passphrase.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
      OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
      OSSL_PARAM_construct_end()};
  SecureBytes key(out_bytes);
  ossl::kdf_derive(OSSL_KDF_NAME_SCRYPT, params, key);
  return key;
}

Bytes aes256_key_wrap(ByteView kek, ByteView key) {
  if (kek.size() != kAes256KeySize) fail(Errc::invalid_key, "AES-256 key wrap needs a 32-byte KEK");
  if (key.size() < 16 || key.size() % 8 != 0)
    fail(Errc::malformed, "AES key wrap input must be a multiple of 8 bytes, at least 16");
  ossl::CipherCtx ctx(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  ossl::check(EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1,
              "EVP_EncryptInit_ex(aes-256-wrap)");
  Bytes out(key.size() + 8);
  int len = 0;
  ossl::check(EVP_EncryptUpdate(ctx.get(), out.data(), &len, key.data(), int_size(key.size())) == 1,
              "EVP_EncryptUpdate(aes-256-wrap)");
  out.resize(static_cast<std::size_t>(len));
  return out;
}

std::optional<SecureBytes> aes256_key_unwrap(ByteView kek, ByteView wrapped) {
  if (kek.size() != kAes256KeySize) fail(Errc::invalid_key, "AES-256 key wrap needs a 32-byte KEK");
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0) return std::nullopt;
  ossl::CipherCtx ctx(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  ossl::check(EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_wrap(), nullptr, kek.data(), nullptr) == 1,
              "EVP_DecryptInit_ex(aes-256-wrap)");
  SecureBytes out(wrapped.size());
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &len, wrapped.data(), int_size(wrapped.size())) !=
          1 ||
      len <= 0) {
    ERR_clear_error();
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(len));
  return out;
}

Aes256Gcm::Aes256Gcm(ByteView key)
    : enc_(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")),
      dec_(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")) {
  if (key.size() != kAes256KeySize) fail(Errc::invalid_key, "AES-256-GCM needs a 32-byte key");
  ossl::check(EVP_EncryptInit_ex(enc_.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) == 1,
              "EVP_EncryptInit_ex(aes-256-gcm)");
  ossl::check(EVP_DecryptInit_ex(dec_.get(), EVP_aes_256_gcm(), nullptr, key.data(), nullptr) == 1,
              "EVP_DecryptInit_ex(aes-256-gcm)");
}

std::array<std::uint8_t, kGcmTagSize> Aes256Gcm::seal(ByteView nonce, ByteView aad,
                                                      ByteView plaintext,
                                                      std::span<std::uint8_t> out) {
  if (nonce.size() != kGcmNonceSize) fail(Errc::malformed, "AES-GCM nonce must be 12 bytes");
  if (out.size() != plaintext.size())
    fail(Errc::internal, "AES-GCM output buffer is not the plaintext's size");
  // Re-initialising with only the IV keeps the expanded key: one key schedule per stream.
  ossl::check(EVP_EncryptInit_ex(enc_.get(), nullptr, nullptr, nullptr, nonce.data()) == 1,
              "EVP_EncryptInit_ex(iv)");
  int len = 0;
  if (!aad.empty())
    ossl::check(EVP_EncryptUpdate(enc_.get(), nullptr, &len, aad.data(), int_size(aad.size())) == 1,
                "EVP_EncryptUpdate(aad)");
  if (!plaintext.empty())
    ossl::check(EVP_EncryptUpdate(enc_.get(), out.data(), &len, plaintext.data(),
                                  int_size(plaintext.size())) == 1,
                "EVP_EncryptUpdate");
  // GCM's final step writes nothing (a stream mode): the end of out is only a position.
  ossl::check(EVP_EncryptFinal_ex(enc_.get(), out.data() + out.size(), &len) == 1 && len == 0,
              "EVP_EncryptFinal_ex");
  std::array<std::uint8_t, kGcmTagSize> tag{};
  ossl::check(EVP_CIPHER_CTX_ctrl(enc_.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag.size()),
                                  tag.data()) == 1,
              "EVP_CTRL_GCM_GET_TAG");
  return tag;
}

bool Aes256Gcm::open(ByteView nonce, ByteView aad, ByteView ciphertext, ByteView tag,
                     std::span<std::uint8_t> out) {
  if (out.size() != ciphertext.size())
    fail(Errc::internal, "AES-GCM output buffer is not the ciphertext's size");
  if (nonce.size() != kGcmNonceSize || tag.size() != kGcmTagSize) return false;
  ossl::check(EVP_DecryptInit_ex(dec_.get(), nullptr, nullptr, nullptr, nonce.data()) == 1,
              "EVP_DecryptInit_ex(iv)");
  int len = 0;
  if (!aad.empty())
    ossl::check(EVP_DecryptUpdate(dec_.get(), nullptr, &len, aad.data(), int_size(aad.size())) == 1,
                "EVP_DecryptUpdate(aad)");
  if (!ciphertext.empty())
    ossl::check(EVP_DecryptUpdate(dec_.get(), out.data(), &len, ciphertext.data(),
                                  int_size(ciphertext.size())) == 1,
                "EVP_DecryptUpdate");
  ossl::check(EVP_CIPHER_CTX_ctrl(dec_.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                                  const_cast<std::uint8_t*>(tag.data())) == 1,
              "EVP_CTRL_GCM_SET_TAG");
  if (EVP_DecryptFinal_ex(dec_.get(), out.data() + out.size(), &len) != 1) {
    ERR_clear_error();
    return false;
  }
  return true;
}

}  // namespace recrypt
