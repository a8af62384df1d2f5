// Owns one connection to a TPM: the TCTI (through the TCTI loader) and the ESAPI context on it.
// Move-only; closing it drops the connection. Objects loaded through it belong to it (see
// esys_object.hpp) and must be flushed or abandoned before it goes.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include <string>

namespace recrypt::tpm {

// The TCTI to use: `configured` when not empty, else $TPM2TOOLS_TCTI, $TCTI, $TSS2_TCTI (the
// tpm2-tools conventions), else "device:/dev/tpmrm0" (the kernel's resource manager).
std::string resolve_tcti(const std::string& configured);

class EsysContext {
 public:
  // Connects and makes sure the TPM is started. Throws BackendError: not_present when nothing
  // answers, permission when the OS refuses the device node.
  static EsysContext open(const std::string& tcti);

  ESYS_CONTEXT* get() const noexcept { return esys_; }

  EsysContext(EsysContext&& other) noexcept;
  EsysContext& operator=(EsysContext&& other) noexcept;
  EsysContext(const EsysContext&) = delete;
  EsysContext& operator=(const EsysContext&) = delete;
  ~EsysContext();

 private:
  EsysContext() = default;
  void close() noexcept;
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
};

}  // namespace recrypt::tpm
