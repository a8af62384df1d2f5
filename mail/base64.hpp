// MIME's base64 (RFC 2045 §6.8): the standard alphabet with padding, in lines of 76.
// Decoding is strict: line breaks are the only characters outside the alphabet it skips,
// padding only at the end, and unused bits zero, so one text decodes one way.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::mail {

inline constexpr std::size_t kBase64LineLength = 76;

// Lines of kBase64LineLength characters, each ended by `line_end`.
std::string base64_encode(ByteView data, std::string_view line_end);
Bytes base64_decode(std::string_view text);  // Error(malformed) naming what is wrong

}  // namespace recrypt::mail
