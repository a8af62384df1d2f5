// A member entry of a group: who the member is, what it may do, and, for one group key A,
// the service's recryption key r and the member's share x wrapped to each of its devices.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::service {

inline constexpr std::size_t kMaxWrappedShares = 64;
inline constexpr std::size_t kMaxWrappedShareSize = 16 * 1024;
inline constexpr std::size_t kMaxAdminPackageSize = 32 * 1024;
inline constexpr std::size_t kMaxEntriesPerRequest = 1000;

enum class MemberStatus { active, suspended, revoked };

struct Privileges {
  bool recrypt = false;
  bool admin = false;
  bool super = false;  // may grant and take ADMIN and SUPER
  friend bool operator==(const Privileges&, const Privileges&) = default;
};

std::string to_string(MemberStatus s);
MemberStatus parse_status(std::string_view s);  // ServiceError(400) on an unknown name
Json privileges_to_json(const Privileges& p);
Privileges privileges_from_json(const Json& j);  // ServiceError(400) on unknown names

struct MemberEntry {
  std::string member;   // profile id of the member
  std::string account;  // the member's account name, for people reading the list
  Privileges privileges;
  MemberStatus status = MemberStatus::active;
  std::string key_id;                                 // UDF of the group key A this entry is for
  std::optional<SecretJson> recryption_key;           // private JWK of r
  std::map<std::string, std::string> wrapped_shares;  // device encryption UDF -> JWE of x
  // For an administrator: device encryption UDF -> the group's secrets for that device (the
  // agent's admin package, docs/SERVICE.md §4.9), opaque to the service, which hands each to
  // its device only (GetAdminKeys). Empty for every other member.
  std::map<std::string, std::string> admin_keys = {};

  Json to_json() const;                         // carries r: send it only to the service
  static MemberEntry from_json(const Json& j);  // bounded and typed; ServiceError(400/413)
};

// The share x as a private JWK, encrypted to one device's encryption key (jwe::encrypt).
std::string wrap_share(const Scalar& share, const Point& device_encryption_key);
// The other way, for a device that holds its key in software.
Scalar unwrap_share(std::string_view wrapped, const Scalar& device_encryption_key);

// How one device receives its share x: the string stored for it in wrapped_shares. The
// service keeps it opaque; wrap_share() is the plain form, the agent adds resident forms.
using ShareWrapper = std::function<std::string(const Scalar& share)>;

// An entry for `member` with a fresh split of the group secret: r for the service, x wrapped
// for every device (keyed by the UDF of its encryption key) by that device's wrapper.
MemberEntry make_member_entry(const std::string& member, const std::string& account,
                              Privileges privileges, MemberStatus status,
                              const Scalar& group_secret,
                              const std::vector<std::pair<std::string, ShareWrapper>>& devices);

// The same with wrap_share() to every device key given.
MemberEntry make_member_entry(const std::string& member, const std::string& account,
                              Privileges privileges, MemberStatus status,
                              const Scalar& group_secret,
                              const std::vector<Point>& device_encryption_keys);

SecretJson to_secret_json(const Json& j);  // copies a (small) JSON object into wiping strings
Json from_secret_json(const SecretJson& j);

}  // namespace recrypt::service
