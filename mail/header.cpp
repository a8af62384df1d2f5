#include "mail/header.hpp"

#include "base/error.hpp"

namespace recrypt::mail {
namespace {

bool blank(char c) { return c == ' ' || c == '\t'; }

[[noreturn]] void malformed(std::size_t line, const std::string& what) {
  fail(Errc::malformed, "header line " + std::to_string(line) + ": " + what);
}

// One line of the header section: its text without the line end, and the whole with it.
struct Line {
  std::string_view text;
  std::string_view whole;
};

Line next_line(std::string_view rest, std::size_t number) {
  std::size_t lf = rest.find('\n');
  std::string_view whole = lf == std::string_view::npos ? rest : rest.substr(0, lf + 1);
  std::string_view text = whole;
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);  // only a CR before LF
  }
  if (text.size() > kMaxLineLength)
    malformed(number, "longer than " + std::to_string(kMaxLineLength) + " octets");
  for (char c : text) {
    if (c == '\0') malformed(number, "holds a NUL");
    if (c == '\r') malformed(number, "holds a CR that ends no line");
  }
  return {text, whole};
}

bool name_char(char c) { return c >= 33 && c <= 126 && c != ':'; }

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string HeaderField::value() const {
  std::string_view rest(raw);
  rest.remove_prefix(rest.find(':') + 1);
  std::string out;
  out.reserve(rest.size());
  for (char c : rest)
    if (c != '\r' && c != '\n') out.push_back(c);  // unfolding: the line ends go, blanks stay
  std::size_t begin = 0;
  while (begin < out.size() && blank(out[begin])) ++begin;
  std::size_t end = out.size();
  while (end > begin && blank(out[end - 1])) --end;
  return out.substr(begin, end - begin);
}

Header parse_header(std::string_view entity) {
  Header header;
  std::string_view rest = entity;
  std::size_t number = 0;
  while (!rest.empty()) {
    Line line = next_line(rest, ++number);
    rest.remove_prefix(line.whole.size());
    if (line.text.empty()) {
      header.separator = std::string(line.whole);
      break;
    }
    if (blank(line.text.front())) {
      if (header.fields.empty()) malformed(number, "a continuation line before any field");
      HeaderField& field = header.fields.back();
      if (field.raw.size() + line.whole.size() > kMaxFieldSize)
        malformed(number, "field " + field.name + " is larger than " +
                              std::to_string(kMaxFieldSize) + " octets");
      field.raw += line.whole;
      continue;
    }
    std::size_t colon = line.text.find(':');
    if (colon == std::string_view::npos) malformed(number, "not a header field (no colon)");
    std::string_view name = line.text.substr(0, colon);
    while (!name.empty() && blank(name.back())) name.remove_suffix(1);  // obsolete "Name :"
    if (name.empty()) malformed(number, "a field with no name");
    for (char c : name)
      if (!name_char(c)) malformed(number, "not a header field (bad character in its name)");
    if (header.fields.size() == kMaxFields)
      malformed(number, "more than " + std::to_string(kMaxFields) + " header fields");
    header.fields.push_back({std::string(name), std::string(line.whole)});
  }
  header.body = rest;
  // An entity may have no fields (MIME's defaults apply); its line end is then its separator's.
  const std::string& first = header.fields.empty() ? header.separator : header.fields.front().raw;
  std::size_t lf = first.find('\n');
  header.line_end = lf != std::string::npos && lf > 0 && first[lf - 1] == '\r' ? "\r\n" : "\n";
  return header;
}

const HeaderField* find_field(const Header& header, std::string_view name) {
  for (const auto& f : header.fields)
    if (iequals(f.name, name)) return &f;
  return nullptr;
}

std::size_t count_fields(const Header& header, std::string_view name) {
  std::size_t n = 0;
  for (const auto& f : header.fields) n += iequals(f.name, name) ? 1 : 0;
  return n;
}

}  // namespace recrypt::mail
