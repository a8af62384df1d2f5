// The `soft` backend: keys in a folder, each private scalar encrypted with AES-256-GCM under
// one store key derived from the user's passphrase with scrypt (memory-hard). For machines
// without a TPM or token, and for tests. Files are 0600 and written atomically.
// Once unlocked, the store key stays in memory for `unlock_ttl` so that a decrypt costs one
// point multiplication, not one scrypt; lock() forgets it at once.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "backend/backend.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::backend {

struct SoftConfig {
  std::filesystem::path directory;
  std::chrono::seconds unlock_ttl{600};
  // scrypt cost; the default (2^15, 8, 1) takes about 0.1 s and 32 MiB.
  std::uint64_t scrypt_n = 1u << 15;
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
};


class SoftBackend final : public Backend {
 public:
  SoftBackend(SoftConfig config, PinSource pins);
  ~SoftBackend() override;

  std::string_view name() const override { return "soft"; }
  Capabilities capabilities() const override;
  bool present() noexcept override { return true; }

  KeyInfo generate_key(std::string_view label, KeyPurpose purpose) override;
  std::vector<KeyInfo> list_keys() override;
  EcdhResult ecdh(std::string_view key_id, const Point& peer) override;
  Bytes sign_digest(std::string_view key_id, ByteView digest) override;
  Bytes seal(std::string_view label, ByteView secret) override;
  SecureBytes unseal(ByteView sealed_blob) override;
  // Accepts kRawScalarShare: data is the 32-byte big-endian share.
  KeyInfo import_share(std::string_view label, const WrappedShare& share) override;

  void lock() noexcept override;  // forgets the store key and every decrypted scalar

 private:
  struct StoredKey;
  const SecureBytes& store_key();       // unlocks when needed; call with mutex_ held
  const Scalar& private_key(std::string_view id);
  KeyInfo store(std::string_view label, KeyPurpose purpose, bool share, const Scalar& key);
  std::filesystem::path key_path(std::string_view id) const;

  SoftConfig config_;
  PinSource pins_;
  std::mutex mutex_;
  std::optional<SecureBytes> store_key_;
  std::chrono::steady_clock::time_point unlocked_until_{};
  std::map<std::string, Scalar, std::less<>> unlocked_keys_;
  // Public information of every key, read from disk once: only this object writes key files.
  std::optional<std::vector<KeyInfo>> listed_;
};

}  // namespace recrypt::backend
