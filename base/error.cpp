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

void fail(Errc code, const std::string& message) { throw Error(code, message); }

}  // namespace recrypt
