// The hardware backends an agent may be started with, besides `soft`: their command-line
// options and their construction. Each is compiled in when its library is part of the build.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.hpp"

namespace recrypt::agent {

struct BackendOptions {
  std::string tpm_tcti;       // e.g. "swtpm:host=127.0.0.1,port=2321"; empty: no TPM backend
  bool tpm_key_pin = false;   // new TPM device keys carry a PIN (TpmConfig::key_pin)
  std::string pkcs11_module;  // e.g. /usr/lib/softhsm/libsofthsm2.so; empty: p11-kit proxy
  std::string pkcs11_token;   // RFC 7512 URI; empty: no PKCS#11 backend
  // The agent's --cache-ttl: how long a token stays logged in with its PIN cached.
  std::chrono::seconds cache_ttl{600};
};

void add_backend_options(CLI::App& app, BackendOptions& options);
std::vector<std::unique_ptr<backend::Backend>> make_backends(const BackendOptions& options,
                                                             const std::filesystem::path& home,
                                                             backend::PinSource pins);

}  // namespace recrypt::agent
