// Groups on other services that this user joined (`recrypt group join`): the only services
// besides the user's own that the agent sends the user's signed requests to, and only for
// these groups. File `memberships.json` in the agent's home, 0600, replaced atomically:
// {"version": 1, "groups": [{"group_id", "name", "service"}]}.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/json.hpp"

namespace recrypt::agent {

struct Membership {
  std::string group_id;  // the group profile's id (UDF of its signing key)
  std::string name;      // "friends@example.com", as the verified group profile names it
  std::string service;   // the address the agent reached the group's service at

  Json to_json() const;
  static Membership from_json(const Json& j);
};

class Memberships {
 public:
  explicit Memberships(std::filesystem::path file) : file_(std::move(file)) {}

  std::vector<Membership> list() const;
  // By group name or fingerprint (a UDF prefix).
  std::optional<Membership> find(std::string_view name_or_id) const;
  // The joined group `group_id`, if its service is `service` (by audience, same_service).
  std::optional<Membership> find_at(std::string_view group_id, const std::string& service) const;
  // Adds the membership, replacing one of the same group id.
  void record(const Membership& membership);
  // Forgets the group named so (name or fingerprint); false if it was not joined.
  bool forget(std::string_view name_or_id);

 private:
  std::vector<Membership> load() const;
  void save(const std::vector<Membership>& all) const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
};

}  // namespace recrypt::agent
