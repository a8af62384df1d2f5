// How the service's message parsers (messages.cpp, rotation_messages.cpp) read a field and
// turn the protocol's errors into the service's 400 and 413. Internal to those parsers.
#pragma once

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "protocol/json.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service::message_fields {

inline constexpr std::string_view kWhat = "message";
// A group, member, key or profile reference: an id, a name or a fingerprint.
inline constexpr std::size_t kMaxRef = 1024;

// Runs a parser; Error(too_large) becomes 413, any other Error 400.
template <class F>
auto checked(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    refuse(e.code() == Errc::too_large ? status::kTooLarge : status::kMalformed, e.what());
  }
}

// A string field that is neither empty nor longer than `max`.
inline std::string str(const Json& j, std::string_view key, std::size_t max = kMaxRef) {
  const std::string& s = json::string_field(j, key, kWhat);
  if (s.empty() || s.size() > max)
    fail(Errc::malformed, "field \"" + std::string(key) + "\" is empty or too long");
  return s;
}

}  // namespace recrypt::service::message_fields
