#include "protocol/base64url.hpp"

#include "base/error.hpp"
#include "protocol/base64.hpp"

namespace recrypt::base64url {
namespace {

bool in_url_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Checked in the URL alphabet, then decoded as the standard one it maps onto (in wiping
// memory: the text may be a key); the standard decoder's errors are named for this variant.
template <class Out>
Out decode_into(std::string_view text, Out (*decode)(std::string_view, base64::Padding)) {
  SecureString standard(text);
  for (char& c : standard) {
    if (!in_url_alphabet(c))
      fail(Errc::malformed, "base64url: a character outside the URL alphabet");
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  try {
    return decode(standard, base64::Padding::none);
  } catch (const Error& e) {
    constexpr std::string_view kStandard = "base64: ";
    std::string_view what = e.what();
    if (what.starts_with(kStandard)) what.remove_prefix(kStandard.size());
    fail(e.code(), "base64url: " + std::string(what));
  }
}

}  // namespace

std::string encode(ByteView data) {
  std::string out = base64::encode(data, base64::Padding::none);
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Bytes decode(std::string_view text) { return decode_into<Bytes>(text, base64::decode); }
SecureBytes decode_secret(std::string_view text) {
  return decode_into<SecureBytes>(text, base64::decode_secret);
}

}  // namespace recrypt::base64url
