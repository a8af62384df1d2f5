#include "tpm/kdf.hpp"

#include <array>

#include "base/error.hpp"
#include "tpm/ossl_algs.hpp"

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
std::size_t whole_octets(std::size_t bits) {
  if (bits == 0 || bits % 8 != 0) fail(Errc::internal, "KDF output size is not whole octets");
  return bits / 8;
}

}  // namespace

SecureBytes kdfa_sha256(ByteView key, std::string_view label, ByteView context_u,
                        ByteView context_v, std::size_t bits) {
  const std::size_t len = whole_octets(bits);
  SecureBytes out((len + 31) / 32 * 32);
  const auto bits_be = be32(static_cast<std::uint32_t>(bits));
  for (std::uint32_t i = 1; (i - 1) * 32 < len; ++i) {
    const auto counter = be32(i);
    algs::hmac_sha256(
        key, {counter, as_bytes(label), ByteView(&kZero, 1), context_u, context_v, bits_be},
        std::span(out).subspan((i - 1) * 32, 32));
  }
  out.resize(len);
  return out;
}

SecureBytes kdfe_sha256(ByteView z, std::string_view label, ByteView party_u, ByteView party_v,
                        std::size_t bits) {
  const std::size_t len = whole_octets(bits);
  SecureBytes out;
  for (std::uint32_t i = 1; out.size() < len; ++i) {
    const auto counter = be32(i);
    const Bytes block =
        algs::sha256_of({counter, z, as_bytes(label), ByteView(&kZero, 1), party_u, party_v});
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(len);
  return out;
}

}  // namespace recrypt::tpm
