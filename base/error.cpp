#include "base/error.hpp"

namespace recrypt {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::malformed:
      return "malformed";
    case Errc::unsupported:
      return "unsupported";
    case Errc::invalid_key:
      return "invalid-key";
    case Errc::decrypt_failed:
      return "decrypt-failed";
    case Errc::truncated:
      return "truncated";
    case Errc::too_large:
      return "too-large";
    case Errc::io:
      return "io";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

std::optional<Errc> errc_from_name(std::string_view name) noexcept {
  for (Errc code : {Errc::malformed, Errc::unsupported, Errc::invalid_key, Errc::decrypt_failed,
                    Errc::truncated, Errc::too_large, Errc::io, Errc::internal})
    if (errc_name(code) == name) return code;
  return std::nullopt;
}

void fail(Errc code, const std::string& message) { throw Error(code, message); }

}  // namespace recrypt
