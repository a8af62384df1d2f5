#include "mail/multipart.hpp"

#include <algorithm>
#include <optional>
#include <string>

#include "base/error.hpp"
#include "mail/header.hpp"

namespace recrypt::mail {
namespace {

bool bchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

bool only_blanks(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t') return false;
  return true;
}

enum class Delimiter { none, part, close };

Delimiter delimiter(std::string_view line, std::string_view boundary) {
  if (line.size() < 2 + boundary.size() || line.substr(0, 2) != "--" ||
      line.substr(2, boundary.size()) != boundary)
    return Delimiter::none;
  std::string_view rest = line.substr(2 + boundary.size());
  if (only_blanks(rest)) return Delimiter::part;
  if (rest.substr(0, 2) == "--" && only_blanks(rest.substr(2))) return Delimiter::close;
  return Delimiter::none;
}

}  // namespace

bool valid_boundary(std::string_view boundary) {
  if (boundary.empty() || boundary.size() > kMaxBoundaryLength || boundary.back() == ' ')
    return false;
  for (char c : boundary)
    if (!bchar(c)) return false;
  return true;
}

std::vector<std::string_view> split_multipart(std::string_view body, std::string_view boundary) {
  if (!valid_boundary(boundary)) fail(Errc::malformed, "not a valid multipart boundary");
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  std::optional<std::size_t> part_begin;  // where the current part's text starts
  std::size_t previous_line_end = 0;      // where the line break before this line starts
  std::size_t number = 0;
  while (pos < body.size()) {
    std::size_t lf = body.find('\n', pos);
    std::size_t next = lf == std::string_view::npos ? body.size() : lf + 1;
    std::string_view line = body.substr(pos, next - pos);
    std::size_t break_at = pos + line.size();  // where this line's own line end starts
    if (!line.empty() && line.back() == '\n') {
      line.remove_suffix(1);
      --break_at;
    }
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
      --break_at;
    }
    ++number;
    if (line.size() > kMaxLineLength)
      fail(Errc::malformed, "multipart line " + std::to_string(number) + " is longer than " +
                                std::to_string(kMaxLineLength) + " octets");
    Delimiter d = delimiter(line, boundary);
    if (d != Delimiter::none) {
      if (part_begin) {
        // The line break before the delimiter belongs to it.
        std::size_t end = std::max(*part_begin, previous_line_end);
        parts.push_back(body.substr(*part_begin, end - *part_begin));
        if (parts.size() > kMaxParts)
          fail(Errc::malformed, "more than " + std::to_string(kMaxParts) + " parts");
      }
      if (d == Delimiter::close) {
        if (!part_begin) fail(Errc::malformed, "a close delimiter before any part");
        return parts;
      }
      part_begin = next;
    }
    previous_line_end = break_at;
    pos = next;
  }
  fail(Errc::malformed, part_begin ? "the multipart body has no close delimiter"
                                   : "the multipart body has no delimiter line");
}

}  // namespace recrypt::mail
