// JSON Web Encryption (RFC 7516), general JSON serialization, as recrypt uses it:
//   "enc" A256GCM in the protected header; each recipient one of
//   - "ECDH-ES+A256KW" (RFC 7518 §4.6): ephemeral "epk" T, Concat KDF over x(Z), AES key wrap
//     of the content key. Z = t·A: whoever holds a (or a member, through the service and its
//     share) recovers the key; a stock JOSE library given a opens it.
//   - "ECDH-ES-ALLOF+A256KW" (ours, docs/FORMAT.md): several key agreements in "parts"; the KDF
//     runs over x(Z1) || x(Z2) || ... in part order, so every group's secret is needed.
// Each key agreement names its key ("kid", the UDF of the recipient key) and, for a group,
// where to recrypt ("recrypt": group name, group id, service URL).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::jwe {

inline constexpr std::string_view kAlgEcdhEs = "ECDH-ES+A256KW";
inline constexpr std::string_view kAlgAllOf = "ECDH-ES-ALLOF+A256KW";
inline constexpr std::string_view kEnc = "A256GCM";
inline constexpr std::size_t kMaxEnvelopeSize = 1 << 20;
inline constexpr std::size_t kMaxRecipients = 1024;
inline constexpr std::size_t kMaxParts = 16;

// Where a group member gets the service's partial for this key.
struct Locator {
  std::string group;     // the group's name, e.g. "accounting@example.com"
  std::string group_id;  // UDF fingerprint of the group's profile signing key
  std::string service;   // recryption service URL
  friend bool operator==(const Locator&, const Locator&) = default;
};

struct KeyAgreement {
  Point epk;                       // T
  std::string kid;                 // UDF of the recipient key (may be empty)
  std::optional<Locator> locator;  // set for group keys
};

struct Recipient {
  std::string alg;                       // kAlgEcdhEs, kAlgAllOf, or one we do not know
  std::vector<KeyAgreement> agreements;  // 1 for kAlgEcdhEs, 2..kMaxParts for all-of, 0 if unknown
  Bytes encrypted_key;
  Bytes apu, apv;  // Concat KDF party info, usually empty
  bool known() const { return !agreements.empty(); }
};

struct Envelope {
  std::string protected_b64;  // exactly as received: it is the GCM additional data
  Json protected_header;
  std::vector<Recipient> recipients;
  Bytes iv, ciphertext, tag;

  // Every field checked; bounded. Refused: a member other than those of the general JSON
  // serialization, a header parameter in more than one of the protected, shared unprotected
  // and per-recipient headers (RFC 7516 §7.2.1), and (json::parse) a repeated member name.
  static Envelope parse(std::string_view text);
  std::string serialize() const;  // one line of JSON
};

// A key the sender encrypts to.
struct RecipientKey {
  Point public_key;
  std::string kid;  // empty: the key's UDF fingerprint is used
  std::optional<Locator> locator;
};

// One recipient entry: a single key (any-of between entries) or, with several keys, an
// all-of recipient that needs every one of them.
using RecipientSpec = std::vector<RecipientKey>;

Envelope encrypt(ByteView plaintext, const std::vector<RecipientSpec>& recipients,
                 const std::optional<std::string>& content_type = std::nullopt);

// The key-encryption key from the shared points, one per agreement in order, then the
// unwrap. nullopt when the integrity check fails: wrong points, or the wrong candidate of an
// x-only device; and for a recipient whose algorithm we do not know (!known()), so that a
// reader trying the recipients in turn skips it and goes on to one it can open.
std::optional<SecureBytes> try_unwrap(const Recipient& recipient,
                                      const std::vector<Point>& shared_points);

// Tries every combination of candidate points (one list per agreement: 1 when the device gave
// the whole point, 2 when it gave only x). Error(decrypt_failed) when none opens;
// Error(unsupported) for a recipient whose algorithm we do not know.
SecureBytes unwrap_candidates(const Recipient& recipient,
                              const std::vector<std::vector<Point>>& candidates);

// AES-256-GCM decryption of the content with the unwrapped key; Error(decrypt_failed) on a
// bad tag.
SecureBytes decrypt_content(const Envelope& envelope, ByteView content_key);

// For whoever holds the private key itself (the group administrator's a, a device key):
// opens the first single-key recipient whose kid matches the key, or, when none names it,
// the first one that opens.
SecureBytes open_with_private_key(const Envelope& envelope, const Scalar& key);

}  // namespace recrypt::jwe
