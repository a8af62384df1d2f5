#include "protocol/base64url.hpp"

#include <openssl/evp.h>

#include "base/error.hpp"

namespace recrypt::base64url {
namespace {

// Input sizes far beyond anything JOSE carries would overflow OpenSSL's int lengths.
constexpr std::size_t kMaxEncoded = 1u << 30;

template <class Out>
Out decode_into(std::string_view text) {
  if (text.size() > kMaxEncoded) fail(Errc::too_large, "base64url value too large");
  if (text.size() % 4 == 1) fail(Errc::malformed, "base64url value has an impossible length");
  std::string std_b64;
  std_b64.reserve(text.size() + 3);
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!ok)
      fail(Errc::malformed, "base64url value has a character outside the alphabet");
    std_b64.push_back(c);
  }
  std::size_t pad = (4 - text.size() % 4) % 4;
  std_b64.append(pad, '=');
  Out out(std_b64.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(std_b64.data()),
                          static_cast<int>(std_b64.size()));
  secure_wipe(std_b64.data(), std_b64.size());
  if (n < 0) fail(Errc::malformed, "base64url value does not decode");
  out.resize(static_cast<std::size_t>(n) - pad);
  // Unused low bits of the last character must be zero, or two strings would mean one value.
  if (encode(out) != text) fail(Errc::malformed, "base64url value is not in canonical form");
  return out;
}

}  // namespace

std::string encode(ByteView data) {
  if (data.empty()) return {};
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+')
      c = '-';
    else if (c == '/')
      c = '_';
  }
  return out;
}

Bytes decode(std::string_view text) { return decode_into<Bytes>(text); }
SecureBytes decode_secret(std::string_view text) { return decode_into<SecureBytes>(text); }

}  // namespace recrypt::base64url
