#include "protocol/base64.hpp"

#include <openssl/evp.h>

#include "base/error.hpp"

namespace recrypt::base64 {
namespace {

// Far beyond anything carried here, and below OpenSSL's int lengths.
constexpr std::size_t kMaxEncoded = 1u << 30;

bool in_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

[[noreturn]] void malformed(const char* what) {
  fail(Errc::malformed, std::string("base64: ") + what);
}

// Checks every character and the length; returns how many '=' end the text.
std::size_t check_characters(std::string_view text, Padding padding) {
  std::size_t pad = 0;
  if (padding == Padding::required)
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  for (char c : text.substr(0, text.size() - pad)) {
    if (in_alphabet(c)) continue;
    if (c != '=') malformed("a character outside the standard alphabet");
    malformed(padding == Padding::none ? "padding is not allowed" : "padding before the end");
  }
  if (padding == Padding::required && text.size() % 4 != 0)
    malformed("its length is not a multiple of 4");
  if (padding == Padding::none && text.size() % 4 == 1) malformed("impossible length");
  return pad;
}

template <class Out>
Out decode_into(std::string_view text, Padding padding) {
  if (text.size() > kMaxEncoded) fail(Errc::too_large, "base64: value too large");
  std::size_t pad = check_characters(text, padding);
  // EVP_DecodeBlock wants whole quanta: an unpadded text gets its '=' here, in wiping memory
  // since the text may be a key.
  SecureString whole(text);
  if (padding == Padding::none) {
    pad = (4 - text.size() % 4) % 4;
    whole.append(pad, '=');
  }
  Out out(whole.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(whole.data()),
                          static_cast<int>(whole.size()));
  if (n < 0) malformed("it does not decode");
  out.resize(static_cast<std::size_t>(n) - pad);
  // Unused low bits of the last character must be zero, or two texts would mean one value.
  std::string again = encode(out, padding);
  bool canonical = again == text;
  secure_wipe(again.data(), again.size());
  if (!canonical) malformed("not canonical (unused bits are set)");
  return out;
}

}  // namespace

std::string encode(ByteView data, Padding padding) {
  if (data.empty()) return {};
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                          static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(n));
  if (padding == Padding::none)
    while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

Bytes decode(std::string_view text, Padding padding) { return decode_into<Bytes>(text, padding); }

SecureBytes decode_secret(std::string_view text, Padding padding) {
  return decode_into<SecureBytes>(text, padding);
}

}  // namespace recrypt::base64
