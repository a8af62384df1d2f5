#include "agent/known_profiles.hpp"

#include <sstream>

#include "base/atomic_file.hpp"
#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"

namespace recrypt::agent {
namespace {
constexpr std::size_t kMaxFile = 4 << 20;
}

std::string_view to_string(KnownKind kind) {
  return kind == KnownKind::account ? "account" : "group";
}

std::vector<KnownProfile> KnownProfiles::load() const {
  std::vector<KnownProfile> out;
  if (!std::filesystem::exists(file_)) return out;
  Bytes data = read_file(file_, kMaxFile);
  std::istringstream in(std::string(as_chars(data)));
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string kind, name, id, extra;
    if (!(fields >> kind >> name >> id) || (fields >> extra) ||
        (kind != "account" && kind != "group"))
      fail(Errc::malformed, file_.string() + ":" + std::to_string(number) +
                                ": expected `account|group NAME FINGERPRINT`");
    out.push_back({kind == "account" ? KnownKind::account : KnownKind::group, name, id});
  }
  return out;
}

void KnownProfiles::save(const std::vector<KnownProfile>& pins) const {
  std::string text = "# recrypt: profiles pinned on first use (KIND NAME FINGERPRINT)\n";
  for (const KnownProfile& p : pins)
    text += std::string(to_string(p.kind)) + " " + p.name + " " + p.id + "\n";
  write_file_atomic(file_, as_bytes(text), 0600);
}

std::optional<std::string> KnownProfiles::find(KnownKind kind, std::string_view name) const {
  std::lock_guard guard(mutex_);
  for (const KnownProfile& p : load())
    if (p.kind == kind && p.name == name) return p.id;
  return std::nullopt;
}

void KnownProfiles::check_or_pin(KnownKind kind, const std::string& name, const std::string& id) {
  // A name with white space could not be read back; such names are refused where they enter.
  if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
    throw agent_rpc::RpcError(agent_rpc::Code::invalid_params, "a name to pin has no spaces");
  std::lock_guard guard(mutex_);
  std::vector<KnownProfile> pins = load();
  for (const KnownProfile& p : pins) {
    if (p.kind != kind || p.name != name) continue;
    if (p.id == id) return;
    throw agent_rpc::RpcError(agent_rpc::Code::refused,
                              std::string(to_string(kind)) + " " + name + " now has fingerprint " +
                                  id + ", but this agent pinned " + p.id +
                                  " when it first saw it: the service may be lying. If " + name +
                                  " really has a new key, confirm the new fingerprint out of band, "
                                  "then run `recrypt known forget " +
                                  name + "` and try again");
  }
  pins.push_back({kind, name, id});
  save(pins);
}

bool KnownProfiles::forget(std::string_view name) {
  std::lock_guard guard(mutex_);
  std::vector<KnownProfile> pins = load();
  auto end = std::remove_if(pins.begin(), pins.end(),
                            [&](const KnownProfile& p) { return p.name == name; });
  if (end == pins.end()) return false;
  pins.erase(end, pins.end());
  save(pins);
  return true;
}

std::vector<KnownProfile> KnownProfiles::list() const {
  std::lock_guard guard(mutex_);
  return load();
}

}  // namespace recrypt::agent
