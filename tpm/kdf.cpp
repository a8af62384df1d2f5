#include "tpm/kdf.hpp"

#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <array>

#include "protocol/ossl.hpp"

namespace recrypt::tpm {
namespace {

std::array<std::uint8_t, 4> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// The TPM counts the label's terminating zero octet as part of it.
constexpr std::uint8_t kZero = 0;

// Both KDFs produce whole digests and then cut to `bits`; the TPM masks a partial last
// octet, which never happens for the sizes we use (128 and 256 bits).
SecureBytes truncate_to(SecureBytes out, std::size_t bits) {
  if (bits % 8 != 0) fail(Errc::internal, "KDF output size is not whole octets");
  out.resize(bits / 8);
  return out;
}

}  // namespace

SecureBytes kdfa_sha256(ByteView key, std::string_view label, ByteView context_u,
                        ByteView context_v, std::size_t bits) {
  const std::size_t blocks = (bits + 255) / 256;
  SecureBytes out;
  out.reserve(blocks * SHA256_DIGEST_LENGTH);
  const auto bits_be = be32(static_cast<std::uint32_t>(bits));
  for (std::uint32_t i = 1; i <= blocks; ++i) {
    EVP_MAC* mac = ossl::check_ptr(EVP_MAC_fetch(nullptr, "HMAC", nullptr), "EVP_MAC_fetch");
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    ossl::check(ctx != nullptr, "EVP_MAC_CTX_new");
    struct Free { EVP_MAC_CTX* c; ~Free() { EVP_MAC_CTX_free(c); } } guard{ctx};
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                           OSSL_PARAM_construct_end()};
    const auto counter = be32(i);
    std::array<std::uint8_t, SHA256_DIGEST_LENGTH> block{};
    std::size_t len = 0;
    ossl::check(EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
                    EVP_MAC_update(ctx, counter.data(), counter.size()) == 1 &&
                    EVP_MAC_update(ctx, as_bytes(label).data(), label.size()) == 1 &&
                    EVP_MAC_update(ctx, &kZero, 1) == 1 &&
                    EVP_MAC_update(ctx, context_u.data(), context_u.size()) == 1 &&
                    EVP_MAC_update(ctx, context_v.data(), context_v.size()) == 1 &&
                    EVP_MAC_update(ctx, bits_be.data(), bits_be.size()) == 1 &&
                    EVP_MAC_final(ctx, block.data(), &len, block.size()) == 1,
                "KDFa HMAC");
    out.insert(out.end(), block.begin(), block.end());
    secure_wipe(block.data(), block.size());
  }
  return truncate_to(std::move(out), bits);
}

SecureBytes kdfe_sha256(ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                        std::size_t bits) {
  const std::size_t blocks = (bits + 255) / 256;
  SecureBytes out;
  out.reserve(blocks * SHA256_DIGEST_LENGTH);
  for (std::uint32_t i = 1; i <= blocks; ++i) {
    ossl::MdCtx ctx(ossl::check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
    const auto counter = be32(i);
    std::array<std::uint8_t, SHA256_DIGEST_LENGTH> block{};
    unsigned int len = 0;
    ossl::check(EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx.get(), counter.data(), counter.size()) == 1 &&
                    EVP_DigestUpdate(ctx.get(), z.data(), z.size()) == 1 &&
                    EVP_DigestUpdate(ctx.get(), label.data(), label.size()) == 1 &&
                    EVP_DigestUpdate(ctx.get(), &kZero, 1) == 1 &&
                    EVP_DigestUpdate(ctx.get(), party_u.data(), party_u.size()) == 1 &&
                    EVP_DigestUpdate(ctx.get(), party_v.data(), party_v.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx.get(), block.data(), &len) == 1,
                "KDFe SHA-256");
    out.insert(out.end(), block.begin(), block.end());
    secure_wipe(block.data(), block.size());
  }
  return truncate_to(std::move(out), bits);
}

}  // namespace recrypt::tpm
