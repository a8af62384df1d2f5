#include "mail/base64.hpp"

#include <array>

#include "base/error.hpp"

namespace recrypt::mail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> reverse_alphabet() {
  std::array<int, 256> r{};
  for (auto& v : r) v = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    r[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int>(i);
  return r;
}
constexpr std::array<int, 256> kReverse = reverse_alphabet();

[[noreturn]] void malformed(const std::string& what) { fail(Errc::malformed, "base64: " + what); }

}  // namespace

std::string base64_encode(ByteView data, std::string_view line_end) {
  std::string out;
  std::size_t column = 0;
  auto put = [&](char c) {
    out.push_back(c);
    if (++column == kBase64LineLength) {
      out += line_end;
      column = 0;
    }
  };
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::size_t n = std::min<std::size_t>(3, data.size() - i);
    std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
    if (n > 1) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
    if (n > 2) v |= data[i + 2];
    put(kAlphabet[(v >> 18) & 63]);
    put(kAlphabet[(v >> 12) & 63]);
    put(n > 1 ? kAlphabet[(v >> 6) & 63] : '=');
    put(n > 2 ? kAlphabet[v & 63] : '=');
  }
  if (column != 0) out += line_end;
  return out;
}

Bytes base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') continue;
    if (c == '\r') {
      if (i + 1 == text.size() || text[i + 1] != '\n') malformed("a CR that ends no line");
      continue;
    }
    if (c != '=' && kReverse[static_cast<unsigned char>(c)] < 0)
      malformed("a character outside its alphabet");
    compact.push_back(c);
  }
  if (compact.size() % 4 != 0) malformed("its length is not a multiple of 4");
  std::size_t pad = 0;
  while (pad < 2 && pad < compact.size() && compact[compact.size() - 1 - pad] == '=') ++pad;
  if (compact.find('=') < compact.size() - pad) malformed("padding before the end");
  Bytes out;
  out.reserve(compact.size() / 4 * 3);
  for (std::size_t i = 0; i < compact.size(); i += 4) {
    std::uint32_t v = 0;
    int chars = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      char c = compact[i + j];
      if (c == '=') break;
      v |= static_cast<std::uint32_t>(kReverse[static_cast<unsigned char>(c)]) << (18 - 6 * j);
      ++chars;
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (chars > 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
    if (chars > 3) out.push_back(static_cast<std::uint8_t>(v));
    if ((chars == 2 && (v & 0xFFFF) != 0) || (chars == 3 && (v & 0xFF) != 0))
      malformed("unused bits that are not zero");
  }
  return out;
}

}  // namespace recrypt::mail
