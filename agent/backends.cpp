#include "agent/backends.hpp"

#include "pkcs11/pkcs11_backend.hpp"
#include "tpm/tpm_backend.hpp"

namespace recrypt::agent {

void add_backend_options(CLI::App& app, BackendOptions& options) {
  app.add_option(
      "--tpm-tcti", options.tpm_tcti,
      "enable the TPM backend with this TCTI (device:/dev/tpmrm0, swtpm:port=2321, tabrmd)");
  app.add_flag("--tpm-key-pin", options.tpm_key_pin,
               "new TPM device keys carry a PIN, asked (twice) when each is made and for each use");
  app.add_option("--pkcs11-module", options.pkcs11_module,
                 "PKCS#11 module (default: p11-kit's proxy)");
  app.add_option("--pkcs11-token", options.pkcs11_token,
                 "enable the PKCS#11 backend for this token URI (pkcs11:token=...)");
}

std::vector<std::unique_ptr<backend::Backend>> make_backends(const BackendOptions& options,
                                                             const std::filesystem::path& home,
                                                             backend::PinSource pins) {
  std::vector<std::unique_ptr<backend::Backend>> out;
  if (!options.tpm_tcti.empty()) {
    tpm::TpmConfig config;
    config.tcti = options.tpm_tcti;
    config.data_dir = home / "tpm";
    config.key_pin = options.tpm_key_pin;
    out.push_back(tpm::make_tpm_backend(config, pins));
  }
  if (!options.pkcs11_token.empty()) {
    pkcs11::Pkcs11Config config;
    config.module_path = options.pkcs11_module;
    config.token_uri = options.pkcs11_token;
    config.data_dir = (home / "pkcs11").string();
    config.pin_cache_timeout = options.cache_ttl;
    out.push_back(pkcs11::make_pkcs11_backend(config, pins));
  }
  return out;
}

}  // namespace recrypt::agent
