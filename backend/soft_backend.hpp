// The `soft` backend: keys in a folder, each private scalar encrypted with AES-256-GCM under
// one random store key, itself encrypted under a key derived from the user's passphrase with
// scrypt (memory-hard). For machines without a TPM or token, and for tests. Files are 0600 and
// written atomically. A store made with a lower scrypt cost than the configured one is
// rewritten with the configured cost on its next unlock; its store key stays the same, so key
// files and sealed blobs need no change.
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
#include "protocol/json.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::backend {

struct SoftConfig {
  std::filesystem::path directory;
  std::chrono::seconds unlock_ttl{600};
  // scrypt cost for new stores and upgrades; the default (2^18, 8, 1) is age's, about 1 s and
  // 256 MiB. Tests may lower it for speed.
  std::uint64_t scrypt_n = 1u << 18;
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
  const SecureBytes& store_key();  // unlocks when needed; call with mutex_ held
  // The store key if `pass` opens `store`, after rewriting it with the configured scrypt cost
  // when its own is lower; nullopt for a wrong passphrase.
  std::optional<SecureBytes> open_store(const Json& store, const SecureString& pass);
  // Writes store.json: `key` encrypted under scrypt(pass) with the configured cost.
  void write_store(const SecureBytes& key, const SecureString& pass);
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
