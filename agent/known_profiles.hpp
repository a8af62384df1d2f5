// Profiles this user has seen, pinned by name like ssh's known_hosts: the first time an
// account or a group name is used, the fingerprint (profile id) the user confirmed or first
// saw is written down; from then on a service that answers that name with another key is
// refused, and only the user can accept a new key (`recrypt known forget NAME`).
//
// File `known_profiles` in the agent's home, one pin a line: KIND NAME FINGERPRINT, where
// KIND is `account` or `group`; `#` starts a comment. Written atomically, mode 0600.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace recrypt::agent {

enum class KnownKind { account, group };
std::string_view to_string(KnownKind kind);

struct KnownProfile {
  KnownKind kind;
  std::string name;
  std::string id;  // the full UDF fingerprint
};

class KnownProfiles {
 public:
  explicit KnownProfiles(std::filesystem::path file) : file_(std::move(file)) {}

  std::optional<std::string> find(KnownKind kind, std::string_view name) const;
  // Pins `name` to `id` if it is not pinned yet. A name pinned to another id is refused with
  // an RpcError(refused) that says what was pinned, what the service says now, and how to
  // accept the new key deliberately.
  void check_or_pin(KnownKind kind, const std::string& name, const std::string& id);
  // Forgets every pin of this name; false if there was none.
  bool forget(std::string_view name);
  std::vector<KnownProfile> list() const;

 private:
  std::vector<KnownProfile> load() const;
  void save(const std::vector<KnownProfile>& pins) const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
};

}  // namespace recrypt::agent
