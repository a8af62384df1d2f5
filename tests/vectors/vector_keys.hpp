// Reading and opening the checked-in test vectors: shared by the generator and the test.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "protocol/jcd.hpp"
#include "protocol/json.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::vectors {

// A vector's keys as the generator wrote them (private JWKs in a SecretJson).
struct GroupKeys {
  std::string name;
  Scalar a;  // group private key
  Scalar x;  // one member's share
  Scalar r;  // the service's recryption key, a − x
};

// Decrypts a whole .jcd in memory, given the shared points for the first recipient that
// `open_recipient` can open. Used by the test with both the group key and the split.
using Opener = std::function<std::optional<SecureBytes>(const jwe::Recipient&)>;
Bytes decrypt_jcd(ByteView file, const Opener& open_recipient);

}  // namespace recrypt::vectors
