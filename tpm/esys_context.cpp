#include "tpm/esys_context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {
namespace {

using backend::BackendErrc;
using backend::BackendError;

// For a device TCTI, say why it cannot be used before the loader turns it into a bare I/O
// error: a missing node and a permission problem need different fixes.
void precheck_device(const std::string& tcti) {
  if (tcti.rfind("device", 0) != 0) return;
  std::string path = "/dev/tpmrm0";
  if (auto colon = tcti.find(':'); colon != std::string::npos && colon + 1 < tcti.size())
    path = tcti.substr(colon + 1);
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  const int err = errno;
  if (err == EACCES || err == EPERM)
    throw BackendError(BackendErrc::permission,
                       "TPM: permission denied on " + path +
                           "; add your user to the group `tss` (sudo usermod -aG tss $USER) "
                           "and log in again");
  throw BackendError(BackendErrc::not_present,
                     "TPM: cannot open " + path + ": " + std::strerror(err));
}

}  // namespace

std::string resolve_tcti(const std::string& configured) {
  if (!configured.empty()) return configured;
  for (const char* var : {"TPM2TOOLS_TCTI", "TCTI", "TSS2_TCTI"}) {
    if (const char* v = std::getenv(var); v != nullptr && *v != '\0') return v;
  }
  return "device:/dev/tpmrm0";
}

EsysContext EsysContext::open(const std::string& tcti) {
  precheck_device(tcti);
  EsysContext c;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti.c_str(), &c.tcti_);
  if (rc != TSS2_RC_SUCCESS) {
    c.tcti_ = nullptr;
    throw TpmError(BackendErrc::not_present,
                   "TPM: cannot open TCTI '" + tcti + "' (is the TPM or swtpm running?)", rc);
  }
  check_rc("Esys_Initialize", Esys_Initialize(&c.esys_, c.tcti_, nullptr));
  // A simulator may come up unstarted; a started TPM answers TPM_RC_INITIALIZE, and the kernel
  // resource manager refuses the command: both are fine. Only a dead transport is fatal.
  rc = Esys_Startup(c.esys_, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS) {
    try {
      check_rc("TPM2_Startup", rc);
    } catch (const TpmError& e) {
      if (e.transport_lost()) throw;
    }
  }
  return c;
}

EsysContext::EsysContext(EsysContext&& other) noexcept
    : tcti_(std::exchange(other.tcti_, nullptr)), esys_(std::exchange(other.esys_, nullptr)) {}

EsysContext& EsysContext::operator=(EsysContext&& other) noexcept {
  if (this != &other) {
    close();
    tcti_ = std::exchange(other.tcti_, nullptr);
    esys_ = std::exchange(other.esys_, nullptr);
  }
  return *this;
}

EsysContext::~EsysContext() { close(); }

void EsysContext::close() noexcept {
  if (esys_ != nullptr) Esys_Finalize(&esys_);
  if (tcti_ != nullptr) Tss2_TctiLdr_Finalize(&tcti_);
  esys_ = nullptr;
  tcti_ = nullptr;
}

}  // namespace recrypt::tpm
