#include "agent/backends.hpp"

namespace recrypt::agent {

void add_backend_options(CLI::App& app, BackendOptions& options) {
  app.add_option("--tpm-tcti", options.tpm_tcti, "enable the TPM backend with this TCTI (e.g. device:/dev/tpmrm0)");
  app.add_option("--pkcs11-module", options.pkcs11_module, "PKCS#11 module (default: p11-kit's proxy)");
  app.add_option("--pkcs11-token", options.pkcs11_token, "enable the PKCS#11 backend for this token URI (pkcs11:token=...)");
}

std::vector<std::unique_ptr<backend::Backend>> make_backends(const BackendOptions& options,
                                                             const std::filesystem::path& home,
                                                             backend::PinSource pins) {
  std::vector<std::unique_ptr<backend::Backend>> out;
  (void)home;
  (void)pins;
  if (!options.tpm_tcti.empty()) throw std::runtime_error("this build has no TPM backend yet");
  if (!options.pkcs11_token.empty()) throw std::runtime_error("this build has no PKCS#11 backend yet");
  return out;
}

}  // namespace recrypt::agent
