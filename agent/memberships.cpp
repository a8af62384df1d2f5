#include "agent/memberships.hpp"

#include <algorithm>

#include "agent/home_services.hpp"
#include "base/atomic_file.hpp"
#include "base/error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
namespace {
constexpr std::size_t kMaxFile = 1 << 20;
constexpr std::string_view kWhat = "memberships.json";

bool names(const Membership& m, std::string_view name_or_id) {
  return m.name == name_or_id || udf::matches(m.group_id, name_or_id);
}
}  // namespace

Json Membership::to_json() const {
  return Json{{"group_id", group_id}, {"name", name}, {"service", service}};
}

Membership Membership::from_json(const Json& j) {
  return Membership{json::string_field(j, "group_id", kWhat), json::string_field(j, "name", kWhat),
                    json::string_field(j, "service", kWhat)};
}

std::vector<Membership> Memberships::load() const {
  std::vector<Membership> out;
  if (!std::filesystem::exists(file_)) return out;
  Bytes data = read_file(file_, kMaxFile);
  Json j = json::parse(as_chars(data), kMaxFile, kWhat);
  for (const Json& g : json::array_field(j, "groups", kWhat))
    out.push_back(Membership::from_json(g));
  return out;
}

void Memberships::save(const std::vector<Membership>& all) const {
  Json groups = Json::array();
  for (const Membership& m : all) groups.push_back(m.to_json());
  std::string text = Json{{"version", 1}, {"groups", groups}}.dump(2) + "\n";
  write_file_atomic(file_, as_bytes(text), 0600);
}

std::vector<Membership> Memberships::list() const {
  std::lock_guard guard(mutex_);
  return load();
}

std::optional<Membership> Memberships::find(std::string_view name_or_id) const {
  std::lock_guard guard(mutex_);
  for (auto& m : load())
    if (names(m, name_or_id)) return m;
  return std::nullopt;
}

std::optional<Membership> Memberships::find_at(std::string_view group_id,
                                               const std::string& service) const {
  std::lock_guard guard(mutex_);
  for (auto& m : load())
    if (m.group_id == group_id && same_service(m.service, service)) return m;
  return std::nullopt;
}

void Memberships::record(const Membership& membership) {
  std::lock_guard guard(mutex_);
  auto all = load();
  std::erase_if(all, [&](const Membership& m) { return m.group_id == membership.group_id; });
  all.push_back(membership);
  save(all);
}

bool Memberships::forget(std::string_view name_or_id) {
  std::lock_guard guard(mutex_);
  auto all = load();
  auto removed = std::erase_if(all, [&](const Membership& m) { return names(m, name_or_id); });
  if (removed == 0) return false;
  save(all);
  return true;
}

}  // namespace recrypt::agent
