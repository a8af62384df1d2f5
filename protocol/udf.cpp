#include "protocol/udf.hpp"

#include <openssl/evp.h>

#include "base/error.hpp"
#include "protocol/ossl.hpp"
#include "protocol/point.hpp"

namespace recrypt::udf {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

Bytes digest(const EVP_MD* md, ByteView a, ByteView b = {}, ByteView c = {}) {
  ossl::MdCtx ctx(ossl::check_ptr(EVP_MD_CTX_new(), "EVP_MD_CTX_new"));
  ossl::check(EVP_DigestInit_ex(ctx.get(), md, nullptr) == 1, "EVP_DigestInit_ex");
  for (ByteView part : {a, b, c})
    ossl::check(EVP_DigestUpdate(ctx.get(), part.data(), part.size()) == 1, "EVP_DigestUpdate");
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int len = 0;
  ossl::check(EVP_DigestFinal_ex(ctx.get(), out.data(), &len) == 1, "EVP_DigestFinal_ex");
  return out;
}

}  // namespace

std::string base32(ByteView data) {
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (std::uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1f]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1f]);
  return out;
}

std::string fingerprint(std::string_view content_type, ByteView data, int bits, Hash hash) {
  if (bits < kMinMatchBits || bits > 440 || bits % 20 != 0)
    fail(Errc::unsupported, "UDF precision must be a multiple of 20 bits from 100 to 440");
  const EVP_MD* md = hash == Hash::sha2_512 ? EVP_sha512() : EVP_sha3_512();
  std::uint8_t type_byte = hash == Hash::sha2_512 ? 0x60 : 0x50;
  Bytes inner = digest(md, data);
  Bytes tcdv = digest(md, as_bytes(content_type), as_bytes(":"), inner);
  Bytes binary{type_byte};
  binary.insert(binary.end(), tcdv.begin(), tcdv.end());
  std::string chars = base32(binary).substr(0, static_cast<std::size_t>(bits / 5));
  std::string out;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    if (i != 0 && i % 4 == 0) out.push_back('-');
    out.push_back(chars[i]);
  }
  return out;
}

std::string key_fingerprint(const Point& public_key, int bits) {
  return fingerprint(kPublicKeyType, public_key.spki_der(), bits);
}

std::string normalize(std::string_view udf) {
  std::string out;
  out.reserve(udf.size());
  for (char c : udf) {
    if (c == '-') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    bool ok = (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7');
    if (!ok) fail(Errc::malformed, "fingerprint has a character outside the Base32 alphabet");
    out.push_back(c);
  }
  return out;
}

bool matches(std::string_view full, std::string_view typed) {
  std::string a, b;
  try {
    a = normalize(full);
    b = normalize(typed);
  } catch (const Error&) {
    return false;
  }
  // Whichever side is shorter decides how much is compared; both must reach the minimum.
  std::size_t n = std::min(a.size(), b.size());
  if (n * 5 < static_cast<std::size_t>(kMinMatchBits)) return false;
  return a.compare(0, n, b, 0, n) == 0;
}

}  // namespace recrypt::udf
