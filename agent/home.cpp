#include "agent/home.hpp"

#include "base/atomic_file.hpp"
#include "base/error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxStateFile = 1 << 20;

Json read_json(const fs::path& path, std::string_view what) {
  Bytes data = read_file(path, kMaxStateFile);
  return json::parse(as_chars(data), kMaxStateFile, what);
}

void write_json(const fs::path& path, const Json& j) {
  std::string text = j.dump(2) + "\n";
  write_file_atomic(path, as_bytes(text), 0600);
}

}  // namespace

KeyRef KeyRef::from_json(const Json& j) {
  return KeyRef{json::string_field(j, "backend", "key reference"),
                json::string_field(j, "id", "key reference")};
}

Json LocalProfile::to_json() const {
  Json devs = Json::array();
  for (const auto& d : devices) {
    Json dev{{"name", d.name},
             {"backend", d.backend},
             {"encryption_key_id", d.encryption_key_id},
             {"signing_key_id", d.signing_key_id}};
    if (d.confirm) dev["confirm"] = true;  // absent: files from before the setting read the same
    devs.push_back(std::move(dev));
  }
  return Json{{"version", 1},       {"account", account},
              {"service", service}, {"signing_key", signing_key.to_json()},
              {"devices", devs},    {"token", token}};
}

LocalProfile LocalProfile::from_json(const Json& j) {
  constexpr std::string_view what = "profile.json";
  LocalProfile p;
  p.account = json::string_field(j, "account", what);
  p.service = json::string_field(j, "service", what);
  p.signing_key = KeyRef::from_json(json::object_field(j, "signing_key", what));
  p.token = json::string_field(j, "token", what);
  for (const Json& d : json::array_field(j, "devices", what)) {
    LocalDevice device{json::string_field(d, "name", what), json::string_field(d, "backend", what),
                       json::string_field(d, "encryption_key_id", what),
                       json::string_field(d, "signing_key_id", what)};
    auto confirm = d.find("confirm");
    if (confirm != d.end()) {
      if (!confirm->is_boolean())
        throw Error(Errc::malformed,
                    std::string(what) + ": a device's confirm is not true or false");
      device.confirm = confirm->get<bool>();
    }
    p.devices.push_back(std::move(device));
  }
  return p;
}

Json SealedGroupKey::to_json() const {
  return Json{{"key_id", key_id}, {"public", public_jwk}, {"backend", backend}, {"sealed", sealed}};
}

SealedGroupKey SealedGroupKey::from_json(const Json& k) {
  constexpr std::string_view what = "group file";
  return SealedGroupKey{
      json::string_field(k, "key_id", what), json::object_field(k, "public", what),
      json::string_field(k, "backend", what), json::string_field(k, "sealed", what)};
}

Json AdminGroup::to_json() const {
  Json ks = Json::array();
  for (const auto& k : keys) ks.push_back(k.to_json());
  Json out{{"version", 1},   {"name", name}, {"group_id", group_id}, {"service", service},
           {"token", token}, {"keys", ks},   {"chained", chained}};
  if (signing_key) out["signing_key"] = signing_key->to_json();
  if (sealed_signing_key) out["sealed_signing_key"] = sealed_signing_key->to_json();
  return out;
}

AdminGroup AdminGroup::from_json(const Json& j) {
  constexpr std::string_view what = "group file";
  AdminGroup g;
  g.name = json::string_field(j, "name", what);
  g.group_id = json::string_field(j, "group_id", what);
  g.service = json::string_field(j, "service", what);
  if (j.contains("signing_key"))
    g.signing_key = KeyRef::from_json(json::object_field(j, "signing_key", what));
  if (j.contains("sealed_signing_key"))
    g.sealed_signing_key =
        SealedGroupKey::from_json(json::object_field(j, "sealed_signing_key", what));
  // Neither: a co-administrator of a group made before co-administrators (home.hpp).
  if (g.signing_key && g.sealed_signing_key)
    fail(Errc::malformed, "group file names two group signing keys");
  g.token = json::string_field(j, "token", what);
  for (const Json& k : json::array_field(j, "keys", what))
    g.keys.push_back(SealedGroupKey::from_json(k));
  if (g.keys.empty()) fail(Errc::malformed, "group file has no keys");
  g.chained = j.value("chained", false);  // absent in files from before membership chains
  return g;
}

Home::Home(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_ / "groups");
  fs::create_directories(root_ / "membership");
  fs::permissions(root_, fs::perms::owner_all, fs::perm_options::replace);
}

std::optional<LocalProfile> Home::load_profile() const {
  fs::path path = root_ / "profile.json";
  if (!fs::exists(path)) return std::nullopt;
  return LocalProfile::from_json(read_json(path, "profile.json"));
}

void Home::save_profile(const LocalProfile& profile) const {
  write_json(root_ / "profile.json", profile.to_json());
}

std::vector<AdminGroup> Home::load_groups() const {
  std::vector<AdminGroup> out;
  for (const auto& entry : fs::directory_iterator(root_ / "groups"))
    if (entry.path().extension() == ".json")
      out.push_back(AdminGroup::from_json(read_json(entry.path(), "group file")));
  return out;
}

std::optional<AdminGroup> Home::find_group(std::string_view name_or_id) const {
  for (auto& g : load_groups())
    if (g.name == name_or_id || udf::matches(g.group_id, name_or_id)) return g;
  return std::nullopt;
}

void Home::save_group(const AdminGroup& group) const {
  // Named by the group id: a UDF, so never a path trick whatever the group's name is.
  write_json(root_ / "groups" / (udf::normalize(group.group_id) + ".json"), group.to_json());
}

bool Home::remove_group(const std::string& group_id) const {
  return fs::remove(root_ / "groups" / (udf::normalize(group_id) + ".json"));
}

std::optional<service::MembershipState> Home::load_membership(const std::string& group_id) const {
  fs::path path = root_ / "membership" / (udf::normalize(group_id) + ".json");
  if (!fs::exists(path)) return std::nullopt;
  service::MembershipState state =
      service::MembershipState::from_json(read_json(path, "membership state"));
  if (state.group_id() != group_id) fail(Errc::malformed, path.string() + " is for another group");
  return state;
}

void Home::save_membership(const service::MembershipState& state) const {
  write_json(root_ / "membership" / (udf::normalize(state.group_id()) + ".json"), state.to_json());
}

}  // namespace recrypt::agent
