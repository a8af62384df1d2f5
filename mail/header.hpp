// The header section of an RFC 5322 message or MIME entity: fields kept as the bytes they
// were (folds and line ends included), so that what is not changed is written back exactly.
// Strict limits: lines of at most 998 octets (RFC 5322 §2.1.1), a bounded number and size
// of fields, no NUL and no CR outside a line end. Anything else is Error(malformed).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace recrypt::mail {

inline constexpr std::size_t kMaxLineLength = 998;  // octets, without the line end
inline constexpr std::size_t kMaxFields = 500;
inline constexpr std::size_t kMaxFieldSize = 64 * 1024;  // one field, folds included

struct HeaderField {
  std::string name;  // as written (compare with iequals)
  std::string raw;   // the whole field: name, colon, value, folds and its final line end

  // The value unfolded (RFC 5322 §2.2.3), without the line end and surrounding blanks.
  std::string value() const;
};

struct Header {
  std::vector<HeaderField> fields;
  std::string separator;  // the empty line that ends the section: "\r\n", "\n", or "" if none
  std::string_view body;  // everything after it (a view into the parsed text)
  std::string line_end;   // "\r\n" or "\n": the first field's, for lines written anew
};

// Parses the header section at the start of `entity`; `body` refers into `entity`. An entity
// that starts with an empty line has no fields, which a message must have (its callers check).
Header parse_header(std::string_view entity);

bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view text, std::string_view prefix);

// The first field named `name`, and how many there are.
const HeaderField* find_field(const Header& header, std::string_view name);
std::size_t count_fields(const Header& header, std::string_view name);

}  // namespace recrypt::mail
