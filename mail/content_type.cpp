#include "mail/content_type.hpp"

#include "base/error.hpp"
#include "mail/header.hpp"

namespace recrypt::mail {
namespace {

constexpr int kMaxCommentDepth = 8;

bool tspecial(char c) {
  return std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos;
}
bool token_char(char c) { return c > 32 && c < 127 && !tspecial(c); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

[[noreturn]] void malformed(const std::string& what) {
  fail(Errc::malformed, "Content-Type: " + what);
}

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}
  bool done() const { return pos_ == text_.size(); }
  char peek() const { return text_[pos_]; }
  void take(char expected, const char* what) {
    skip_cfws();
    if (done() || peek() != expected) malformed(std::string("expected ") + what);
    ++pos_;
  }
  // Blanks and comments, which may nest.
  void skip_cfws() {
    while (!done()) {
      char c = peek();
      if (c == ' ' || c == '\t') {
        ++pos_;
      } else if (c == '(') {
        skip_comment();
      } else {
        return;
      }
    }
  }
  std::string token(const char* what) {
    skip_cfws();
    std::size_t begin = pos_;
    while (!done() && token_char(peek())) ++pos_;
    if (pos_ == begin) malformed(std::string("expected ") + what);
    return std::string(text_.substr(begin, pos_ - begin));
  }
  std::string quoted() {
    ++pos_;  // the opening quote
    std::string out;
    for (;;) {
      if (done()) malformed("a quoted string does not end");
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c == '\\') {
        if (done()) malformed("a quoted string does not end");
        c = text_[pos_++];
      }
      out.push_back(c);
    }
  }
  std::string parameter_value() {
    skip_cfws();
    if (!done() && peek() == '"') return quoted();
    return token("a parameter value");
  }

 private:
  void skip_comment() {
    int depth = 0;
    do {
      if (done()) malformed("a comment does not end");
      char c = text_[pos_++];
      if (c == '\\') {
        if (done()) malformed("a comment does not end");
        ++pos_;
      } else if (c == '(') {
        if (++depth > kMaxCommentDepth) malformed("comments nested too deep");
      } else if (c == ')') {
        --depth;
      }
    } while (depth > 0);
  }
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> ContentType::parameter(std::string_view name) const {
  for (const auto& [n, v] : parameters)
    if (iequals(n, name)) return v;
  return std::nullopt;
}

ContentType parse_content_type(std::string_view value) {
  Reader in(value);
  ContentType ct;
  ct.type = lower(in.token("a media type"));
  in.take('/', "'/' after the type");
  ct.subtype = lower(in.token("a subtype"));
  for (;;) {
    in.skip_cfws();
    if (in.done()) break;
    in.take(';', "';' between parameters");
    in.skip_cfws();
    if (in.done()) break;  // a trailing ';', which mail programs write
    std::string name = lower(in.token("a parameter name"));
    in.take('=', "'=' after a parameter name");
    std::string v = in.parameter_value();
    if (ct.parameter(name)) malformed("the parameter " + name + " appears twice");
    if (ct.parameters.size() == kMaxParameters)
      malformed("more than " + std::to_string(kMaxParameters) + " parameters");
    ct.parameters.emplace_back(std::move(name), std::move(v));
  }
  return ct;
}

}  // namespace recrypt::mail
