// Profiles: self-signed JSON documents that name a person (with their devices) or a group.
// A profile travels as a JWS compact (ES256) whose "kid" is the profile id, the UDF
// fingerprint of the key that signed it; the payload carries that key, so anyone can check a
// profile with nothing but the profile itself and compare its id with one they pinned.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/jws.hpp"
#include "protocol/point.hpp"

namespace recrypt::service {

inline constexpr std::size_t kMaxNameLength = 256;
inline constexpr std::size_t kMaxDevices = 64;
inline constexpr std::size_t kMaxPastKeys = 256;
inline constexpr std::size_t kMaxProfileSize = jws::kMaxTokenSize;

struct Device {
  std::string name;
  std::string backend;  // "soft", "tpm", "pkcs11"
  Point encryption_key;
  Point signing_key;
  std::optional<Point> tpm_parent;
  // Proof of possession: the device's signing key's ES256 signature (raw r || s) over
  // proof_statement(profile id). Without it anyone could list someone else's device keys as
  // their own (docs/DECISIONS.md).
  Bytes proof;

  std::string encryption_id() const;  // UDF of encryption_key
  std::string signing_id() const;     // UDF of signing_key
  // What the signing key signs: that it is a device of the profile `profile_id`, and that the
  // encryption key and TPM parent beside it are its own (layout in docs/SERVICE.md §3).
  Bytes proof_statement(std::string_view profile_id) const;
  // Sets `proof`; `signer` must hold the private half of signing_key.
  void prove(std::string_view profile_id, const jws::Signer& signer);
  bool proof_verifies(std::string_view profile_id) const;
};

struct PersonalProfile {
  std::string account;  // "alice@example.com"
  Point signing_key;
  std::vector<Device> devices;
  std::string created;  // RFC 3339

  std::string id() const;  // UDF of signing_key
  Json payload() const;
  // Signs with `signer`, which must hold the private half of signing_key. Every device must
  // carry its proof already (Device::prove with id()): verifiers refuse a profile without.
  std::string sign(const jws::Signer& signer) const;
  // The device whose signing key has this UDF, or nullptr.
  const Device* device_by_signing_id(std::string_view udf) const;
};

struct GroupProfile {
  std::string name;  // "friends@example.com"
  Point signing_key;
  Point encryption_key;  // the current A
  std::vector<Point> past_encryption_keys;
  std::string service;  // URL of the recryption service
  std::string created;

  std::string id() const;                        // UDF of signing_key: the group id
  std::string key_id() const;                    // UDF of encryption_key
  std::vector<std::string> all_key_ids() const;  // current first, then past
  Json payload() const;
  std::string sign(const jws::Signer& signer) const;
};

enum class ProfileType { personal, group };

// A checked profile: the self-signature verifies, its kid is the id of its signing key,
// every field is present, typed and within bounds, and every device's proof of possession
// verifies. ServiceError(400) otherwise.
struct VerifiedProfile {
  ProfileType type;
  std::string token;  // the JWS compact exactly as received
  std::optional<PersonalProfile> personal;
  std::optional<GroupProfile> group;

  const std::string& id() const { return id_; }
  const std::string& name() const;  // account or group name
  std::string id_;
};

VerifiedProfile verify_profile(std::string_view token);
PersonalProfile verify_personal_profile(std::string_view token);
GroupProfile verify_group_profile(std::string_view token);

// A time (unix seconds) as RFC 3339 UTC, "2026-11-29T12:00:00Z"; the current one, for
// "created".
std::string rfc3339(std::int64_t unix_seconds);
std::string rfc3339_now();

}  // namespace recrypt::service
