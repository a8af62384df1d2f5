// The default Backend::import_sealed: no form of this backend's own.
#include "backend/backend.hpp"

namespace recrypt::backend {

Bytes Backend::import_sealed(std::string_view /*label*/, const WrappedShare& wrapped) {
  throw BackendError(BackendErrc::unsupported, "backend " + std::string(name()) +
                                                   " cannot import a sealed secret of format " +
                                                   wrapped.format);
}

}  // namespace recrypt::backend
