// A member's privileges, a group's name, and a member leaving. Like every change of a group,
// each is a membership record checked against the verified chain before it is sent
// (check_record's words refuse it here first), except the rename, which re-signs the group's
// profile and changes no one's membership.
#include <algorithm>

#include "agent/agent.hpp"
#include "agent/lost_answer.hpp"
#include "agent/membership_checks.hpp"
#include "agent/membership_sync.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;
using service::MemberChange;
using service::MembershipRecord;
using service::MembershipState;
using service::MemberState;
using service::MemberStatus;
using service::RecordOp;

namespace {

constexpr const char* kAdministratorsElsewhere =
    "ADMIN and SUPER come with the group's keys: make or unmake an administrator with `recrypt "
    "group admin add|remove`";

service::Privileges privileges_param(const Json& params) {
  auto it = params.find("privileges");
  if (it == params.end() || !it->is_array())
    throw RpcError(Code::invalid_params,
                   "parameter \"privileges\" must be an array: [\"RECRYPT\"], or [] for none");
  try {
    return service::privileges_from_json(*it);
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::invalid_params, std::string("privileges: ") + e.what());
  }
}

}  // namespace

Agent::JoinedGroup Agent::find_joined_group(const LocalProfile& profile, const std::string& name) {
  ServiceDirectory::Lease link = group_link(profile, name);
  auto g = link->get_group(service::GetGroupRequest{name});
  // The group is what its own signed profile states, not what the answer's fields say.
  auto doc = service::verify_group_profile(g.profile);
  if (doc.id() != g.group || doc.name != g.name)
    throw RpcError(Code::refused, "the service answered group " + g.name + " (" + g.group +
                                      ") with the profile of group " + doc.name + " (" + doc.id() +
                                      ")");
  bool by_name = name.find('@') != std::string::npos;
  if (by_name ? doc.name != name : !udf::matches(doc.id(), name))
    throw RpcError(Code::refused, "the service answered group " + doc.name + " (" + doc.id() +
                                      ") when asked for " + name);
  known_.check_or_pin(KnownKind::group, doc.name, doc.id());
  return JoinedGroup{std::move(link), doc.id(), doc.name, std::move(g)};
}

Json Agent::group_privileges(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  service::Privileges privileges = privileges_param(params);
  if (holds_power(privileges)) throw RpcError(Code::refused, kAdministratorsElsewhere);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  const MemberChange m = chain_member(chain, member, g.name);
  if (holds_power(m.state.privileges))
    throw RpcError(Code::refused, m.state.account + " is an administrator of " + g.name + ": " +
                                      kAdministratorsElsewhere);
  Json out{{"group", g.name},
           {"member", m.member},
           {"account", m.state.account},
           {"privileges", service::privileges_to_json(privileges)},
           {"changed", !(m.state.privileges == privileges)}};
  if (m.state.privileges == privileges) return out;
  MembershipRecord record = chain.next(RecordOp::update);
  record.members = {
      MemberChange{m.member, MemberState{m.state.account, privileges, m.state.status}}};
  std::string token = sign_record(record, profile);
  check_locally(chain, token);
  send_membership_change(link, g.group_id, record.seq, token, [&] {
    link->update_member(service::UpdateMemberRequest{
        g.group_id, m.member, std::nullopt, privileges, std::nullopt, {token}});
  });
  chain.append(token);
  std::lock_guard guard(membership_mutex_);
  home_.save_membership(chain);
  return out;
}

// Only the name: the keys change by rotation (group.rotate), and the group stays on its
// service, which holds its chain and its members' shares. The old name stays pinned to the
// group, so that no other group takes it over unnoticed in this agent.
Json Agent::group_update(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& name = agent_rpc::param_string(params, "name");
  if (name.find('@') == std::string::npos || name.size() > service::kMaxNameLength)
    throw RpcError(Code::invalid_params, "a group's name is an address, e.g. friends@example.com");
  if (name == g.name) throw RpcError(Code::invalid_params, "group " + name + " has this name");
  if (auto other = home_.find_group(name); other && other->group_id != g.group_id)
    throw RpcError(Code::conflict, "this agent administers another group named " + name);
  if (auto pinned = known_.find(KnownKind::group, name); pinned && *pinned != g.group_id)
    throw RpcError(Code::conflict, "this agent knows the name " + name + " as another group (" +
                                       *pinned + "); `recrypt known forget " + name +
                                       "` if that group is gone");
  LocalProfile profile = require_profile();
  auto doc = service::verify_group_profile(g.token);
  doc.name = name;
  doc.created = service::rfc3339_now();
  std::string token = doc.sign(group_signer(g));
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  try {
    link->update_group(service::UpdateGroupRequest{g.group_id, token});
  } catch (const service::ServiceError& e) {
    if (e.status() != service::status::kConflict) throw;
    throw RpcError(Code::conflict, "the name " + name + " is not free on " + g.service +
                                       ": another group holds it (service: " + e.what() + ")");
  }
  const std::string old_name = g.name;
  g.name = name;
  g.token = token;
  home_.save_group(g);
  known_.check_or_pin(KnownKind::group, name, g.group_id);
  return Json{{"name", name}, {"old_name", old_name}, {"id", g.group_id}, {"service", g.service}};
}

// A member of a group whose membership is hidden from it reads no chain: it signs the record
// of its own leaving on the chain's head as the service states it, and the service checks it
// by the chain's rules as it checks every record (a wrong head is a 409 there).
void Agent::leave_hidden_group(const LocalProfile& profile, JoinedGroup& joined,
                               const std::string& me) {
  const auto& g = joined.group;
  auto mine = std::find_if(g.members.begin(), g.members.end(),
                           [&](const service::MemberSummary& m) { return m.member == me; });
  if (mine == g.members.end())
    throw RpcError(Code::not_found, "the service does not list you in " + joined.name +
                                        ", whose membership it hides from its members");
  MembershipRecord record;
  record.group = joined.id;
  record.seq = g.chain_length;
  record.prev = g.chain_head;
  record.op = RecordOp::update;
  record.time = service::rfc3339_now();
  record.members = {
      MemberChange{me, MemberState{mine->account, mine->privileges, MemberStatus::revoked}}};
  std::string token = sign_record(record, profile);
  joined.link->update_member(service::UpdateMemberRequest{
      joined.id, me, MemberStatus::revoked, std::nullopt, std::nullopt, {token}});
}

Json Agent::group_leave(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  LocalProfile profile = require_profile();
  JoinedGroup joined = find_joined_group(profile, name);
  const std::string me = service::verify_personal_profile(profile.token).id();
  if (membership_hidden_from_caller(joined.group)) {
    leave_hidden_group(profile, joined, me);
  } else {
    MembershipState chain = verified_membership(joined.link, joined.id, joined.name);
    auto mine = chain.members().find(me);
    if (mine == chain.members().end())
      throw RpcError(Code::not_found,
                     "you are not a member of " + joined.name + " (by its membership chain)");
    MembershipRecord record = chain.next(RecordOp::update);
    record.members = {MemberChange{
        me, MemberState{mine->second.account, mine->second.privileges, MemberStatus::revoked}}};
    std::string token = sign_record(record, profile);
    // The last ACTIVE SUPER is refused here, by the rule's words.
    check_locally(chain, token);
    send_membership_change(joined.link, joined.id, record.seq, token, [&] {
      joined.link->update_member(service::UpdateMemberRequest{
          joined.id, me, MemberStatus::revoked, std::nullopt, std::nullopt, {token}});
    });
    chain.append(token);
    std::lock_guard guard(membership_mutex_);
    home_.save_membership(chain);
  }
  // What this agent kept to administer the group is of no use to someone outside it.
  bool forgot = false;
  if (auto g = home_.find_group(joined.id)) {
    home_.remove_group(g->group_id);
    forgot = true;
  }
  // Nor is the service of a group joined elsewhere anyone's to ask again for it.
  memberships_.forget(joined.id);
  return Json{{"group", joined.name}, {"id", joined.id}, {"left", true}, {"forgot_keys", forgot}};
}

}  // namespace recrypt::agent
