// Whom this user trusts: looking a profile up to confirm its fingerprint before adding it,
// and the pins of accounts and group names seen before (known_profiles.hpp).
#include "agent/agent.hpp"
#include "agent/home_services.hpp"
#include "agent/profile_lookup.hpp"
#include "agent/service_link.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

Json Agent::profile_lookup(const Json& params) {
  const std::string& account = agent_rpc::param_string(params, "account");
  LocalProfile profile = require_profile();
  // Asked where group.add will fetch it: the account's home service, if another than this
  // user's (unsigned), else this user's service.
  const std::string home = home_service_of(account);
  ServiceDirectory::Lease link = !home.empty() && !same_service(home, profile.service)
                                     ? services_.anonymous(home)
                                     : service_as_device(profile);
  auto found = fetch_profile(link, account);
  Json devices = Json::array();
  for (const auto& d : found.devices)
    devices.push_back(Json{{"name", d.name}, {"backend", d.backend}});
  auto pinned = known_.find(KnownKind::account, found.account);
  if (pinned && *pinned != found.id())
    known_.check_or_pin(KnownKind::account, found.account, found.id());  // refuses
  return Json{{"account", found.account},
              {"id", found.id()},
              {"devices", devices},
              {"pinned", pinned.has_value()}};
}

Json Agent::known_list(const Json&) {
  Json out = Json::array();
  for (const auto& p : known_.list())
    out.push_back(Json{{"kind", std::string(to_string(p.kind))}, {"name", p.name}, {"id", p.id}});
  return out;
}

Json Agent::known_forget(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  if (!known_.forget(name))
    throw RpcError(Code::not_found, "no profile is pinned under the name " + name);
  return Json{{"forgotten", name}};
}

}  // namespace recrypt::agent
