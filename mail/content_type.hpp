// A Content-Type value (RFC 2045 §5.1): type/subtype and parameters, with comments and
// quoted strings. Type, subtype and parameter names come back in lower case.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace recrypt::mail {

inline constexpr std::size_t kMaxParameters = 32;

struct ContentType {
  std::string type;                                             // "multipart"
  std::string subtype;                                          // "encrypted"
  std::vector<std::pair<std::string, std::string>> parameters;  // name (lower case), value

  std::optional<std::string> parameter(std::string_view name) const;
};

// Error(malformed) naming what is wrong; a repeated parameter is refused.
ContentType parse_content_type(std::string_view value);

}  // namespace recrypt::mail
