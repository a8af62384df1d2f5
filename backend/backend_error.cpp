#include "backend/backend.hpp"

namespace recrypt::backend {

std::string_view backend_errc_name(BackendErrc code) noexcept {
  switch (code) {
    case BackendErrc::not_present:
      return "not-present";
    case BackendErrc::no_such_key:
      return "no-such-key";
    case BackendErrc::auth_failed:
      return "auth-failed";
    case BackendErrc::locked:
      return "locked";
    case BackendErrc::cancelled:
      return "cancelled";
    case BackendErrc::unsupported:
      return "unsupported";
    case BackendErrc::permission:
      return "permission";
    case BackendErrc::device:
      return "device";
  }
  return "unknown";
}

}  // namespace recrypt::backend
