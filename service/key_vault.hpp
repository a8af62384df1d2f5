// Keeps recryption keys encrypted at rest: AES-256-GCM under a service key that lives in a
// file of its own (mode 0600, created on first start), so that a copy of the database alone
// gives no r. Each sealed value is bound to its row (group, member, key id) as additional
// data, so sealed values cannot be swapped between rows.
#pragma once

#include <filesystem>
#include <string_view>

#include "protocol/bytes.hpp"

namespace recrypt::service {

class KeyVault {
 public:
  // Loads the key file, or creates it when it does not exist.
  static KeyVault open(const std::filesystem::path& key_file);

  Bytes seal(ByteView plaintext, std::string_view context) const;
  // Throws ServiceError(500) when the value does not open (wrong key file, damaged row).
  SecureBytes open(ByteView sealed, std::string_view context) const;

 private:
  explicit KeyVault(SecureBytes key) : key_(std::move(key)) {}
  SecureBytes key_;
};

}  // namespace recrypt::service
