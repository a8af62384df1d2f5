// The protocol layer's one error type: a stable code a program can act on and a message a
// person can. Messages name what was wrong with the input, never a secret value.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace recrypt {

enum class Errc {
  malformed,       // input does not parse: bad JSON, base64, lengths, structure
  unsupported,     // well-formed but names an algorithm, curve or version we do not do
  invalid_key,     // a key or point that is not valid for its curve
  decrypt_failed,  // authentication failed: wrong key or tampered data
  truncated,       // input ended before its format says it may
  too_large,       // a field or message beyond its limit
  io,              // reading or writing a file or stream failed
  internal,        // a library call failed where it should not; a bug or resource exhaustion
};

std::string_view errc_name(Errc code) noexcept;
// The code errc_name() names; nullopt for any other text (an answer from another program).
std::optional<Errc> errc_from_name(std::string_view name) noexcept;

class Error : public std::runtime_error {
 public:
  Error(Errc code, const std::string& message) : std::runtime_error(message), code_(code) {}
  Errc code() const noexcept { return code_; }

 private:
  Errc code_;
};

[[noreturn]] void fail(Errc code, const std::string& message);

}  // namespace recrypt
