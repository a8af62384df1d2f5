#include "ageplugin/age_stanza.hpp"

#include <openssl/crypto.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.hpp"
#include "protocol/base64.hpp"

namespace recrypt::age {
namespace {

// One line without its newline, in wiping memory (a body line may be a file key's base64).
// nullopt at the end of input before any byte; Error(truncated) when it ends inside a line.
std::optional<SecureString> read_line(ByteSource& in, std::size_t max, std::string_view what) {
  SecureString line;
  for (;;) {
    std::optional<std::uint8_t> b = in.next();
    if (!b) {
      if (line.empty()) return std::nullopt;
      fail(Errc::truncated, "age stanza: the input ends inside " + std::string(what));
    }
    if (*b == '\n') return line;
    if (line.size() == max)
      fail(Errc::malformed, "age stanza: " + std::string(what) + " longer than " +
                                std::to_string(max) + " characters");
    line.push_back(static_cast<char>(*b));
  }
}

}  // namespace

std::string base64_encode(ByteView data) { return base64::encode(data, base64::Padding::none); }

SecureBytes base64_decode(std::string_view text) {
  return base64::decode_secret(text, base64::Padding::none);
}

std::string write_stanza(const std::vector<std::string>& args, ByteView body) {
  std::string out = "->";
  for (const auto& a : args) out += " " + a;
  out += "\n";
  std::string b64 = base64_encode(body);
  std::size_t at = 0;
  for (; b64.size() - at >= kBodyColumns; at += kBodyColumns)
    out += b64.substr(at, kBodyColumns) + "\n";
  out += b64.substr(at) + "\n";
  OPENSSL_cleanse(b64.data(), b64.size());
  return out;
}

std::optional<std::uint8_t> MemorySource::next() {
  if (at_ == text_.size()) return std::nullopt;
  return static_cast<std::uint8_t>(text_[at_++]);
}

FdSource::~FdSource() { OPENSSL_cleanse(buf_, sizeof buf_); }

std::optional<std::uint8_t> FdSource::next() {
  if (at_ == len_) {
    ssize_t n;
    do n = ::read(fd_, buf_, sizeof buf_);
    while (n < 0 && errno == EINTR);
    if (n < 0) fail(Errc::io, "age stanza: reading the input failed");
    if (n == 0) return std::nullopt;
    len_ = static_cast<std::size_t>(n);
    at_ = 0;
  }
  return buf_[at_++];
}

std::optional<Stanza> read_stanza(ByteSource& in) {
  std::optional<SecureString> first = read_line(in, kMaxArgLine, "a stanza's first line");
  if (!first) return std::nullopt;
  std::string_view line(*first);
  if (line.substr(0, 3) != "-> ")
    fail(Errc::malformed, "age stanza: a stanza must begin with \"-> \"");
  Stanza out;
  std::string_view rest = line.substr(3);
  for (;;) {
    std::size_t sp = rest.find(' ');
    std::string_view arg = rest.substr(0, sp);
    if (arg.empty()) fail(Errc::malformed, "age stanza: an empty argument (two spaces?)");
    for (char c : arg)
      if (c < 33 || c > 126)
        fail(Errc::malformed, "age stanza: an argument has a character outside 33..126");
    if (out.args.size() == kMaxArgs)
      fail(Errc::malformed, "age stanza: more than " + std::to_string(kMaxArgs) + " arguments");
    out.args.emplace_back(arg);
    if (sp == std::string_view::npos) break;
    rest = rest.substr(sp + 1);
  }
  SecureString b64;
  for (std::size_t n = 0;; ++n) {
    if (n == kMaxBodyLines)
      fail(Errc::malformed,
           "age stanza: a body longer than " + std::to_string(kMaxBodyLines) + " lines");
    std::optional<SecureString> body_line = read_line(in, kBodyColumns, "a stanza's body line");
    if (!body_line) fail(Errc::truncated, "age stanza: the input ends before the stanza's body");
    b64 += *body_line;
    if (body_line->size() < kBodyColumns) break;
  }
  out.body = base64_decode(b64);
  return out;
}

}  // namespace recrypt::age
