// One place that turns a TSS2_RC into a backend::BackendError with a message a user can act on.
// Callers never compare raw return codes; they ask the TpmError what kind of failure it was.
#pragma once

#include <tss2/tss2_common.h>

#include "backend/backend.hpp"

namespace recrypt::tpm {

class TpmError : public backend::BackendError {
 public:
  TpmError(backend::BackendErrc code, const std::string& message, TSS2_RC rc)
      : BackendError(code, message), rc_(rc) {}
  TSS2_RC rc() const noexcept { return rc_; }
  // The connection to the TPM broke (TCTI I/O): every handle we hold is gone.
  bool transport_lost() const noexcept;
  // The TPM forgot our handles or sessions (it was reset or restarted under us).
  bool handles_lost() const noexcept;

 private:
  TSS2_RC rc_;
};

// The TPM-layer code with the parameter/handle/session number stripped (e.g. 0x1E7 -> 0x0A7),
// or the raw rc for other layers.
TSS2_RC tpm_rc_base(TSS2_RC rc) noexcept;

// Throws TpmError naming `where` unless rc is TSS2_RC_SUCCESS.
void check_rc(const char* where, TSS2_RC rc);

}  // namespace recrypt::tpm
