// Reading and opening the checked-in test vectors: shared by the generator and the test.
// tests/vectors/README.md describes the files.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "protocol/jcd.hpp"
#include "protocol/json.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::vectors {

// One group of a vector's .json.
struct Group {
  std::string name;      // e.g. "accounting@example.com"
  std::string kid;       // UDF of the group's encryption key A
  std::string group_id;  // UDF of the group's signing key
  Point signing_key;     // its public half
  Scalar a;              // the group's private key
  Scalar x;              // one member's share
  Scalar r;              // the service's recryption key, a − x
};

// What a negative vector must fail with: the Errc's name and the exact message.
struct ExpectedError {
  std::string code;
  std::string message;
};

// A vector's .json.
struct Description {
  std::string description;
  std::vector<Group> groups;
  std::optional<ExpectedError> error;  // set for a negative vector
  // A positive vector's document id and key agreement ids (docs/FORMAT.md §10).
  std::optional<std::string> document_id;
  std::vector<std::string> agreements;
};

Description read_description(ByteView json_text);

// How the reader finds Z for a key agreement: with the group's private key (Z = a·T), or as a
// member does, with its share and the service's partial (Z = r·T + x·T).
enum class KeyUse { group_key, share_and_recryption_key };

// Opens a recipient with the vector's keys, or nullopt when they do not open it. Each key
// agreement is tried with the groups its "kid" names, or with every group when none does:
// "kid" is not covered by the JWE's integrity, and a reader that holds the key opens the
// recipient anyway, to meet the payload's check of the header.
using Opener = std::function<std::optional<SecureBytes>(const jwe::Recipient&)>;
Opener opener(const Description& description, KeyUse use);

// Decrypts a whole .jcd with the first recipient `open_recipient` opens, writing each
// authenticated segment to `out`. Error as the library reports it; Error(decrypt_failed)
// when no recipient opens.
void decrypt_jcd(ByteView file, const Opener& open_recipient, Sink& out);

}  // namespace recrypt::vectors
