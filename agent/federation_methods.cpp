// Members on other services. A member's profile lives at their home service (the service of
// their account's domain, home_services.hpp): an administrator fetches it there, checks it as
// for any member (pinned fingerprint), and carries it to the group's service, so that the
// member's devices can sign requests there. A member joins a group on another service
// (group.join), which makes that service, for that group only, one the agent talks to.
#include <algorithm>

#include "agent/agent.hpp"
#include "agent/home_services.hpp"
#include "agent/log.hpp"
#include "agent/membership_checks.hpp"
#include "agent/profile_lookup.hpp"
#include "agent/service_link.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

std::string Agent::home_service_of(const std::string& account_or_group) {
  std::string domain = domain_of(account_or_group);
  if (domain.empty()) return {};
  auto profile = home_.load_profile();
  return home_services_.service_of_domain(domain, profile ? profile->account : "",
                                          profile ? profile->service : "");
}

// An account whose domain has no service of its own (no SRV record, nothing configured) may
// still have published at the group's service, as every member had to before homes: a home
// that cannot be reached or does not know the account falls back to it. The fingerprint check
// is the same either way.
service::PersonalProfile Agent::member_to_add(service::Client& group_link,
                                              const std::string& group_service,
                                              const std::string& member,
                                              const std::optional<std::string>& fingerprint,
                                              std::vector<std::string>& carried) {
  const std::string home = home_service_of(member);
  if (!home.empty() && !same_service(home, group_service)) {
    std::string token;
    std::optional<service::PersonalProfile> found;
    try {
      ServiceDirectory::Lease lookup = services_.anonymous(home);
      found = fetch_confirmed_profile(lookup, known_, member, fingerprint, &token);
    } catch (const service::ServiceError& e) {
      log_event("warning", "the profile of " + member + " is looked up at " + group_service +
                               ": its home service " + home + " answered: " + e.what());
    }
    if (found) {
      carried.push_back(std::move(token));
      return *found;
    }
  }
  return fetch_confirmed_profile(group_link, known_, member, fingerprint);
}

service::PersonalProfile Agent::current_member_profile(service::Client& group_link,
                                                       const std::string& group_service,
                                                       const std::string& id,
                                                       const std::string& account,
                                                       std::vector<std::string>& carried) {
  const std::string home = home_service_of(account);
  if (!home.empty() && !same_service(home, group_service)) {
    std::string token;
    std::optional<service::PersonalProfile> found;
    try {
      ServiceDirectory::Lease lookup = services_.anonymous(home);
      found = fetch_profile_by_id(lookup, id, &token);
    } catch (const service::ServiceError& e) {
      log_event("warning", "the profile of " + account + " is taken from " + group_service +
                               ": its home service " + home + " answered: " + e.what());
    }
    if (found) {
      if (found->account != account)
        throw RpcError(Code::refused, "the service at " + home + " answered profile " + id +
                                          " with the account " + found->account +
                                          ", but the membership chain has it as " + account);
      carried.push_back(std::move(token));
      return *found;
    }
  }
  return fetch_profile_by_id(group_link, id);
}

std::string Agent::remote_group_profile(const std::string& name) {
  const std::string where = home_service_of(name);
  service::GetProfileRequest by_name;
  by_name.group = name;
  std::string token = services_.anonymous(where)->get_profile(by_name).profile;
  auto doc = service::verify_group_profile(token);
  if (doc.name != name)
    throw RpcError(Code::refused, "the service at " + where + " answered group " + doc.name + " (" +
                                      doc.id() + ") when asked for " + name);
  // The profile's own word for where it lives must be the service that answered for it.
  if (!same_service(doc.service, where))
    throw RpcError(Code::refused, "group " + doc.name + " says it is hosted at " + doc.service +
                                      ", not at " + where + " which answered for it");
  known_.check_or_pin(KnownKind::group, doc.name, doc.id());
  return token;
}

Json Agent::group_join(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  if (domain_of(name).empty())
    throw RpcError(Code::invalid_params,
                   "group.join takes a group name, NAME@DOMAIN: its domain "
                   "says which service the group lives at");
  LocalProfile profile = require_profile(ProfileNeed::signed_token);
  const std::string where = home_service_of(name);
  auto doc = service::verify_group_profile(remote_group_profile(name));
  auto me = service::verify_personal_profile(profile.token);

  // The user's own profile, signed by its profile key, so that the group's service knows every
  // device of it now: each may then ask for recryptions there.
  ServiceDirectory::Lease link = service_as_device(profile, where);
  link->publish_profile(service::PublishProfileRequest{profile.token}, signer(profile.signing_key),
                        me.id());
  // In a group whose membership is hidden from its members there is no chain to read: the
  // member's own entry, as the service states it, is all there is to check.
  auto group = link->get_group(service::GetGroupRequest{doc.id()});
  std::string status;
  if (group.group == doc.id() && membership_hidden_from_caller(group)) {
    auto mine = std::find_if(group.members.begin(), group.members.end(),
                             [&](const service::MemberSummary& m) { return m.member == me.id(); });
    if (mine == group.members.end())
      throw RpcError(Code::refused, "the service of " + doc.name + " does not list " + me.account +
                                        " (" + me.id() +
                                        ") as a member: its administrator has to add you first");
    status = service::to_string(mine->status);
  } else {
    service::MembershipState chain = verified_membership(link, doc.id(), doc.name);
    auto mine = chain.members().find(me.id());
    if (mine == chain.members().end())
      throw RpcError(Code::refused, "the verified membership chain of " + doc.name +
                                        " does not name " + me.account + " (" + me.id() +
                                        ") as a member: its administrator has to add you first");
    status = service::to_string(mine->second.status);
  }
  memberships_.record(Membership{doc.id(), doc.name, where});
  return Json{{"group", doc.name},
              {"id", doc.id()},
              {"service", where},
              {"status", status},
              {"hidden_membership", group.hidden_membership},
              {"key_id", doc.key_id()}};
}

}  // namespace recrypt::agent
