// The stanza of age's header text format (C2SP age.md), which age's plugin protocol also speaks
// over a plugin's stdin and stdout (C2SP age-plugin.md):
//
//   -> ARG ARG ...\n        each ARG 1 or more of the characters 33..126, one space between
//   BASE64 LINE\n           the body in canonical base64 without padding, 64 columns a line,
//   ...                     ended by a line shorter than 64 (possibly empty)
//
// The reader is strict and bounded: a line longer than its limit, more body lines than allowed,
// a character outside the rules or base64 that is not canonical is Error(malformed) naming the
// rule, so that a hostile age client or file ends in an error, never a crash or a hang.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::age {

inline constexpr std::size_t kBodyColumns = 64;
// The first line with its "-> " and newline: a recipient stanza relayed with its plugin command
// is well under 1 KiB; grease adds random arguments.
inline constexpr std::size_t kMaxArgLine = 4096;
inline constexpr std::size_t kMaxArgs = 32;
// 1024 lines are 48 KiB of body: far above a file key, a message or a recrypt stanza.
inline constexpr std::size_t kMaxBodyLines = 1024;

struct Stanza {
  std::vector<std::string> args;  // args[0]: the tag (in the plugin protocol, the command)
  SecureBytes body;               // may hold a file key: wiped
};

// Standard base64 (RFC 4648 §4) without padding, canonical only (RFC 4648 §3.5).
std::string base64_encode(ByteView data);
SecureBytes base64_decode(std::string_view text);

// The stanza's text, body lines included.
std::string write_stanza(const std::vector<std::string>& args, ByteView body);

// Where stanza text comes from: a descriptor (the plugin's stdin) or memory (tests, fuzzing).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The next byte, or nullopt at the end of the input.
  virtual std::optional<std::uint8_t> next() = 0;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view text) : text_(text) {}
  std::optional<std::uint8_t> next() override;

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  ~FdSource() override;
  std::optional<std::uint8_t> next() override;

 private:
  int fd_;
  std::uint8_t buf_[4096];
  std::size_t len_ = 0, at_ = 0;
};

// The next stanza, or nullopt when the input ends where a stanza would begin;
// Error(malformed) or Error(truncated) for anything else.
std::optional<Stanza> read_stanza(ByteSource& in);

}  // namespace recrypt::age
