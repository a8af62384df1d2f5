// Keeps recryption keys encrypted at rest: AES-256-GCM under a service key that lives in a
// file of its own (mode 0600, created on first start), so that a copy of the database alone
// gives no r. Each sealed value is bound to its row (group, member, key id) as additional
// data, so sealed values cannot be swapped between rows.
// In memory the service key lives in OpenSSL's secure heap (locked, guarded pages, wiped when
// freed) when recryptd has set one up (CRYPTO_secure_malloc_init), else in memory that is
// wiped when freed.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::service {

class KeyVault {
 public:
  // Loads the key file, or creates it when it does not exist.
  static KeyVault open(const std::filesystem::path& key_file);

  Bytes seal(ByteView plaintext, std::string_view context) const;
  // Throws ServiceError(500) when the value does not open (wrong key file, damaged row).
  SecureBytes open(ByteView sealed, std::string_view context) const;

  // A value only this key makes and opens, sealed anew each time: a shared store keeps one,
  // so that a recryptd started with another key (a missing key file makes a new one) is
  // refused before it seals a recryption key no other instance could open.
  Bytes check_value() const;
  bool matches(ByteView check_value) const;

  // True when the key sits in the secure heap rather than in ordinary memory.
  bool key_in_secure_heap() const noexcept;

 private:
  struct SecureFree {
    void operator()(std::uint8_t* p) const noexcept;
  };
  using SecureKey = std::unique_ptr<std::uint8_t, SecureFree>;
  explicit KeyVault(SecureKey key) : key_(std::move(key)) {}
  ByteView key() const noexcept;
  SecureKey key_;
};

}  // namespace recrypt::service
