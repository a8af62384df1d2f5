// The agent's files under its home folder (default $XDG_DATA_HOME/recrypt):
//   profile.json         the user's profile: account, service, signed profile, key ids
//   groups/<id>.json     groups this user administers (created, or received as a
//                        co-administrator): sealed group keys and signing key
//   membership/<id>.json the newest membership chain state this agent verified, per group
//   known_profiles       accounts and group names pinned on first use (known_profiles.hpp)
//   soft/, tpm/, pkcs11/ each backend's own store
// Every file is 0600 and replaced atomically. Nothing here holds a private key in the clear:
// keys stay in their backend, group master keys are sealed to one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/json.hpp"
#include "protocol/service/membership.hpp"

namespace recrypt::agent {

struct KeyRef {
  std::string backend;
  std::string id;
  Json to_json() const { return Json{{"backend", backend}, {"id", id}}; }
  static KeyRef from_json(const Json& j);
};

struct LocalDevice {
  std::string name;
  std::string backend;
  std::string encryption_key_id;
  std::string signing_key_id;
  bool confirm = false;  // every decryption with this device asks the user first
};

struct LocalProfile {
  std::string account;
  std::string service;  // the recryption service this user works with
  KeyRef signing_key;   // the profile key
  std::vector<LocalDevice> devices;
  std::string token;  // the signed profile as last published

  Json to_json() const;
  static LocalProfile from_json(const Json& j);
};

struct SealedGroupKey {
  std::string key_id;   // UDF of A
  Json public_jwk;      // A
  std::string backend;  // which backend sealed a
  std::string sealed;   // base64url of the backend's sealed blob

  Json to_json() const;
  static SealedGroupKey from_json(const Json& j);
};

struct AdminGroup {
  std::string name;
  std::string group_id;  // UDF of the group signing key
  std::string service;
  // The group's signing key: sealed like the group keys (groups made since co-administrators,
  // so that it can reach them and an escrow), or a key its backend made and will never give
  // out (older groups: only the agent that made it can sign their profiles). At most one is set:
  // neither on a co-administrator's agent for such an older group, which then adds, suspends and
  // revokes members but cannot sign a new group profile (rotate).
  std::optional<SealedGroupKey> sealed_signing_key;  // key_id: the group id
  std::optional<KeyRef> signing_key;
  std::string token;                 // the signed group profile as last published
  std::vector<SealedGroupKey> keys;  // oldest first; the last is current
  // This agent started the group's membership chain (created or migrated it): an empty chain
  // from the service is then records dropped, never a group to migrate, even if the agent's
  // copy of the chain (membership/ID.json) was lost.
  bool chained = false;

  Json to_json() const;
  static AdminGroup from_json(const Json& j);
};

class Home {
 public:
  explicit Home(std::filesystem::path root);
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path backend_dir(std::string_view backend) const { return root_ / backend; }

  std::optional<LocalProfile> load_profile() const;
  void save_profile(const LocalProfile& profile) const;

  std::vector<AdminGroup> load_groups() const;
  std::optional<AdminGroup> find_group(std::string_view name_or_id) const;
  void save_group(const AdminGroup& group) const;
  // Forgets a group this agent administered (its sealed keys with it); false if none.
  bool remove_group(const std::string& group_id) const;

  std::optional<service::MembershipState> load_membership(const std::string& group_id) const;
  void save_membership(const service::MembershipState& state) const;
  std::filesystem::path known_profiles_file() const { return root_ / "known_profiles"; }

 private:
  std::filesystem::path root_;
};

}  // namespace recrypt::agent
