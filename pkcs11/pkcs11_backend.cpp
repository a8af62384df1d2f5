// The PKCS#11 backend: its construction and what it says about itself. The token link
// (finding the token, session, login, PIN, hotplug) is token_link.cpp; the operations over it
// are in key_ops.cpp (ECDH, ECDSA, seal), pkcs11_keys.cpp and share_import.cpp.
#include <sys/stat.h>

#include <filesystem>

#include "pkcs11/pkcs11_backend_impl.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

std::string default_module_path() { return RECRYPT_P11KIT_PROXY; }

std::unique_ptr<backend::Backend> make_pkcs11_backend(const Pkcs11Config& config,
                                                      backend::PinSource pins) {
  return std::make_unique<Pkcs11Backend>(config, std::move(pins));
}

Pkcs11Backend::Pkcs11Backend(Pkcs11Config config, backend::PinSource pins)
    : config_(std::move(config)), link_(config_, std::move(pins)), fn_(link_.fn()) {
  if (!config_.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec || ::chmod(config_.data_dir.c_str(), 0700) != 0)
      throw BackendError(BackendErrc::permission, "cannot create data dir " + config_.data_dir);
  }
}

Pkcs11Backend::~Pkcs11Backend() = default;

backend::Capabilities Pkcs11Backend::capabilities() const {
  backend::Capabilities c;
  c.full_point_ecdh = false;  // CKM_ECDH1_DERIVE with CKD_NULL yields only x
  // Until the token has been seen, assume it can: the operation then says what it lacks.
  std::optional<TokenMechanisms> m = link_.mechanisms();
  c.resident_shares = !m || m->resident_shares();
  c.sealing = true;
  c.needs_pin = true;
  c.key_auth = backend::KeyAuth::pin;
  return c;
}

bool Pkcs11Backend::present() noexcept { return link_.present(); }

void Pkcs11Backend::require_mechanism(bool TokenMechanisms::*has, const char* mechanism,
                                      std::string_view purpose) const {
  std::optional<TokenMechanisms> m = link_.mechanisms();
  if (!m || (*m).*has) return;
  throw BackendError(BackendErrc::unsupported, "token '" + token_label(link_.token()) +
                                                   "' cannot " + std::string(purpose) +
                                                   ": its module lists no " + mechanism);
}

}  // namespace recrypt::pkcs11
