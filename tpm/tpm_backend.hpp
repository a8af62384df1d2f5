// The TPM 2.0 backend: device keys generated in the TPM, sealing to the TPM under a PIN, and
// resident member shares imported by offline duplication. One connection per backend; the
// storage parent and the keys in use stay loaded, so an ECDH is one TPM command.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "tpm/sealed_wrap.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::tpm {

struct TpmConfig {
  // TCTI configuration string ("device:/dev/tpmrm0", "swtpm:host=127.0.0.1,port=2321", ...).
  // Empty: $TPM2TOOLS_TCTI, $TCTI or $TSS2_TCTI, else device:/dev/tpmrm0.
  std::string tcti;
  // Where key blobs live (created 0700 when missing; files 0600).
  std::filesystem::path data_dir;
  // Keep the storage parent at this persistent handle (e.g. 0x81000001), creating and
  // persisting it on first use. Unset: a transient primary re-created per connection.
  std::optional<std::uint32_t> persistent_parent;
  // New device keys (encryption and signing) get an auth value from a PIN asked, with its
  // confirmation, when each is generated, and asked again (through the PinSource) for each
  // use. Keys made before keep what they had; resident shares stay without a PIN.
  bool key_pin = false;
};

// Diagnostics: what this backend's connection holds in the TPM right now.
struct TpmHandleCounts {
  std::size_t transient = 0;  // transient objects in the TPM (all of them, as the TPM reports)
  std::size_t sessions = 0;   // loaded sessions
};

class TpmBackend final : public backend::Backend {
 public:
  TpmBackend(TpmConfig config, backend::PinSource pins);
  ~TpmBackend() override;
  TpmBackend(const TpmBackend&) = delete;
  TpmBackend& operator=(const TpmBackend&) = delete;

  std::string_view name() const override { return "tpm"; }
  backend::Capabilities capabilities() const override;
  bool present() noexcept override;

  backend::KeyInfo generate_key(std::string_view label, backend::KeyPurpose purpose) override;
  std::vector<backend::KeyInfo> list_keys() override;
  backend::EcdhResult ecdh(std::string_view key_id, const Point& peer) override;
  Bytes sign_digest(std::string_view key_id, ByteView digest) override;
  Bytes seal(std::string_view label, ByteView secret) override;
  SecureBytes unseal(ByteView sealed_blob) override;
  // Format "tpm2-duplicate-sealed-v1" (wrap_secret_for_tpm) only: TPM2_Import under the
  // storage parent, then TPM2_ObjectChangeAuth from the empty auth value to a PIN asked as
  // seal() asks it. Returns a sealed blob as seal() makes; `label` must be the one the secret
  // was wrapped under.
  Bytes import_sealed(std::string_view label, const backend::WrappedShare& wrapped) override;
  // Formats: "tpm2-duplicate-v1" (wrap_share_for_tpm, the share never in the clear here) and
  // "raw-scalar-v1" (32-byte big-endian scalar, wrapped locally to our own parent: the host
  // sees the share once).
  backend::KeyInfo import_share(std::string_view label,
                                const backend::WrappedShare& share) override;

  // The storage parent's public key, for a device profile: an admin wraps shares to it.
  // Flushes the loaded keys, the salted session and a transient parent, and closes the
  // connection; the next operation reconnects. The backend keeps no PIN: seal(), unseal() and
  // every use of a PIN-protected key ask for one each time (the agent's PIN cache may answer).
  void lock() noexcept override;

  TpmParentPublic parent_public();
  TpmHandleCounts loaded_handles();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

std::unique_ptr<backend::Backend> make_tpm_backend(const TpmConfig& config,
                                                   backend::PinSource pins);

}  // namespace recrypt::tpm
