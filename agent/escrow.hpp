// A group's administration written down for recovery (`recrypt group escrow`): the signed group
// profile, the group's signing key and its group keys, encrypted to a recovery key that is
// either a key on a second device or derived from a recovery code or passphrase. Whoever holds
// the file and the recovery key can administer the group again from a new machine, so the file
// is only as safe as the recovery key: a code printed once, kept on paper; a token in a safe.
//
// The file (docs/FORMAT.md, "Group escrow") is one JSON object:
//   {"type": "recrypt-group-escrow", "version": 1, "group": NAME, "group_id": UDF,
//    "recovery": {"method": "code"|"passphrase", "kdf": "scrypt", "salt": B64URL, "log_n": N,
//                 "r": R, "p": P}
//              | {"method": "key", "key": UDF of the recovery public key},
//    "jwe": JWE (JSON serialization, "cty" kEscrowContentType) to the recovery public key}
// Only the JWE is trusted: "group" and "group_id" say which file this is before it is opened,
// and must match what it holds once it is.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::agent {

inline constexpr std::string_view kEscrowType = "recrypt-group-escrow";
inline constexpr std::string_view kEscrowContentType = "recrypt-escrow+json";
inline constexpr std::size_t kMaxEscrowSize = 1 << 20;

// A recovery key derived by scrypt from what the user types. "code": a code this program made
// (recovery_code()), read without its dashes and spaces and in any case; "passphrase": the
// user's own, exactly as given.
struct TypedRecovery {
  bool code = true;
  Bytes salt;
  // A passphrase gets age's cost, about a second and 256 MiB; a code's 160 random bits are its
  // own defence, and it gets 2^14 (16 MiB).
  std::uint8_t log_n = 18;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
};
// A recovery key on a device: the UDF of its public key.
struct DeviceRecovery {
  std::string key;
};
using Recovery = std::variant<TypedRecovery, DeviceRecovery>;

// What an escrow holds, checked: the profile verifies, the signing key is the profile's, and
// each group key is one the profile lists.
struct EscrowSecrets {
  std::string profile;  // the signed group profile when the escrow was made
  Scalar signing_key;
  std::vector<Scalar> keys;  // oldest first
};

struct EscrowFile {
  std::string group;
  std::string group_id;
  Recovery recovery;
  std::string jwe;

  std::string serialize() const;
  // Strict and bounded; Error(malformed|unsupported) names what is wrong.
  static EscrowFile parse(std::string_view text);
};

// 32 characters of Base32 (160 bits) in groups of four: strong enough that the scrypt cost is
// a second line of defence, not the first.
SecureString recovery_code();
TypedRecovery new_typed_recovery(bool code);
// The P-256 recovery key the code or passphrase gives under these parameters.
Scalar typed_recovery_key(const TypedRecovery& params, std::string_view typed);

EscrowFile seal_escrow(const EscrowSecrets& secrets, const Point& recovery_key, Recovery recovery);
// The JWE's plaintext, given the candidates for the shared point with the recovery key (one
// for a full-point ECDH, two for an x-only device), checked as EscrowSecrets says.
// Error(decrypt_failed) for the wrong recovery key.
// T, the point a recovery device multiplies by its key to open the file.
Point escrow_ephemeral_key(const EscrowFile& file);
EscrowSecrets open_escrow(const EscrowFile& file, const std::vector<Point>& shared_candidates);
EscrowSecrets open_escrow(const EscrowFile& file, const Scalar& recovery_key);

}  // namespace recrypt::agent
