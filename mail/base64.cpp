#include "mail/base64.hpp"

#include "base/error.hpp"
#include "protocol/base64.hpp"

namespace recrypt::mail {

std::string base64_encode(ByteView data, std::string_view line_end) {
  std::string text = base64::encode(data, base64::Padding::required);
  std::string out;
  out.reserve(text.size() + (text.size() / kBase64LineLength + 1) * line_end.size());
  for (std::size_t at = 0; at < text.size(); at += kBase64LineLength) {
    out += std::string_view(text).substr(at, kBase64LineLength);
    out += line_end;
  }
  return out;
}

Bytes base64_decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') continue;
    if (c == '\r') {
      if (i + 1 == text.size() || text[i + 1] != '\n')
        fail(Errc::malformed, "base64: a CR that ends no line");
      continue;
    }
    compact.push_back(c);
  }
  return base64::decode(compact, base64::Padding::required);
}

}  // namespace recrypt::mail
