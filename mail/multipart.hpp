// A multipart body split at its boundary (RFC 2046 §5.1.1). One level only: the parts come
// back as text, never parsed as multiparts themselves. The line before a delimiter line
// ends with the delimiter, so it is not part of the part before it.
#pragma once

#include <string_view>
#include <vector>

namespace recrypt::mail {

inline constexpr std::size_t kMaxParts = 16;
inline constexpr std::size_t kMaxBoundaryLength = 70;

// 1 to 70 characters of RFC 2046's bchars, not ending in a space.
bool valid_boundary(std::string_view boundary);

// The parts between the first delimiter line and the close delimiter line (preamble and
// epilogue dropped); views into `body`. Error(malformed) without a close delimiter, with a
// line longer than 998 octets, or with more than kMaxParts parts.
std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary);

}  // namespace recrypt::mail
