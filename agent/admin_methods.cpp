// Co-administrators: every ADMIN or SUPER member of a group holds the group key a and the
// group's signing key, each sealed to its own devices (secret_forms.hpp). An administrator
// sends them in the member's entry (MemberEntry::admin_keys); the service hands each device
// its package only while the membership chain makes the member an ACTIVE administrator
// (GetAdminKeys), and forgets it when a record takes ADMIN and SUPER away or revokes.
// Which administrator may do what stays the chain's rule (check_record): SUPER grants and
// takes ADMIN and SUPER, any ACTIVE administrator adds, suspends, revokes and rotates.
#include <functional>

#include "agent/agent.hpp"
#include "agent/group_keys.hpp"
#include "agent/membership_checks.hpp"
#include "agent/profile_lookup.hpp"
#include "agent/secret_forms.hpp"
#include "agent/share_forms.hpp"
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
using service::RecordOp;

namespace {

// The secrets of `g` unsealed for one operation: the current group key, and the signing key
// when this group's can travel.
struct GroupSecrets {
  Scalar group_key;
  std::optional<Scalar> signing_key;
  const Scalar* signing() const { return signing_key ? &*signing_key : nullptr; }
};

}  // namespace

AdminGroup Agent::receive_admin_group(const std::string& name_or_id,
                                      const std::optional<AdminGroup>& local) {
  LocalProfile profile = require_profile();
  auto me = service::verify_personal_profile(profile.token);
  const LocalDevice& device = signing_device(profile);
  ServiceDirectory::Lease link = group_link(profile, name_or_id);

  service::GetGroupResponse group;
  try {
    group = link->get_group(service::GetGroupRequest{name_or_id});
  } catch (const service::ServiceError& e) {
    if (e.status() == service::status::kNotFound)
      throw RpcError(Code::not_found, "this agent administers no group \"" + name_or_id +
                                          "\", and its service hosts none by that name");
    if (e.status() == service::status::kUnauthorized)
      throw RpcError(Code::refused, me.account + " is not an administrator of group " + name_or_id +
                                        " (the service: " + e.what() + ")");
    throw;
  }
  // The answer is only the service's word until the group's own signed profile states it.
  auto doc = service::verify_group_profile(group.profile);
  bool by_name = name_or_id.find('@') != std::string::npos;
  if (doc.id() != group.group || doc.name != group.name ||
      (by_name ? doc.name != name_or_id : !udf::matches(doc.id(), name_or_id)))
    throw RpcError(Code::refused, "the service answered group " + doc.name + " (" + doc.id() +
                                      ") when asked for " + name_or_id);
  if (local && local->group_id != doc.id())
    throw RpcError(Code::refused, "the service answered another group for " + local->name);
  known_.check_or_pin(KnownKind::group, doc.name, doc.id());
  // An administrator sees the group's policy; a member of a group whose membership is hidden
  // would only be refused its chain next.
  if (membership_hidden_from_caller(group))
    throw RpcError(Code::refused, me.account + " is not an administrator of group " + doc.name +
                                      " (its service hides the membership from members, and "
                                      "does not count " +
                                      me.account + " among its ADMINs)");

  MembershipState chain = verified_membership(link, doc.id(), doc.name);
  auto mine = chain.members().find(me.id());
  if (mine == chain.members().end() || mine->second.status != service::MemberStatus::active ||
      !holds_power(mine->second.privileges))
    throw RpcError(Code::refused, me.account + " is not an administrator of group " + doc.name +
                                      " (by its membership chain)");
  if (doc.key_id() != chain.key_id())
    throw RpcError(Code::refused, "the service's profile of group " + doc.name + " names key " +
                                      doc.key_id() + ", its membership chain key " +
                                      chain.key_id());

  service::GetAdminKeysResponse answer;
  try {
    answer = link->get_admin_keys(service::GetAdminKeysRequest{doc.id()});
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::refused, "the service gives " + me.account +
                                      " no administrator's keys of group " + doc.name + ": " +
                                      e.what());
  }
  if (answer.group != doc.id() || answer.key_id != chain.key_id())
    throw RpcError(Code::refused,
                   "the service answered the keys of another group or key for " + doc.name);

  backend::Backend& b = backend(device.backend);
  DeviceKeys keys{device.name,
                  &b,
                  device.encryption_key_id,
                  udf::key_fingerprint(device_encryption_key(device)),
                  device.signing_key_id,
                  ""};
  ReceivedAdminKeys received = [&] {
    try {
      return receive_admin_package(answer.package, keys, device.backend, doc);
    } catch (const Error& e) {
      throw RpcError(Code::refused, "the administrator's keys of group " + doc.name +
                                        " for device " + device.name + " do not open: " + e.what());
    }
  }();

  AdminGroup g = local.value_or(AdminGroup{});
  g.name = doc.name;
  g.group_id = doc.id();
  g.service = doc.service;
  g.token = group.profile;
  g.chained = true;  // the chain exists: an empty one later is records dropped
  if (received.signing_key) {
    g.signing_key.reset();
    g.sealed_signing_key = std::move(received.signing_key);
  }
  g.keys.push_back(std::move(received.group_key));
  home_.save_group(g);
  return g;
}

namespace {

// The member's entry for the group's current key, with its administrator's package.
service::MemberEntry admin_entry(const service::PersonalProfile& member,
                                 service::Privileges privileges, service::MemberStatus status,
                                 const std::string& group_id, const GroupSecrets& secrets) {
  service::MemberEntry entry = member_entry_for(member, privileges, status, secrets.group_key);
  entry.admin_keys = admin_keys_for(member, group_id, secrets.group_key, secrets.signing());
  return entry;
}

// Grants ADMIN (or SUPER) and sends the keys: an update record (when the privileges change)
// and a resplit record with the entry that carries them, or an add record for a new member.
// Returns the member's state after it; `chain` follows.
Json grant_admin(service::Client& link, MembershipState& chain, const AdminGroup& g,
                 const service::PersonalProfile& member, bool super, const GroupSecrets& secrets,
                 const std::function<std::string(const MembershipRecord&)>& sign) {
  auto existing = chain.find(member.id());
  service::Privileges privileges{true, true, super};
  std::vector<std::string> tokens;
  if (!existing) {
    MembershipRecord add = chain.next(RecordOp::add);
    add.members = {MemberChange{
        member.id(), MemberState{member.account, privileges, service::MemberStatus::active}}};
    tokens.push_back(sign(add));
    check_locally(chain, tokens);
    link.add_member(service::AddMemberRequest{
        g.group_id,
        {admin_entry(member, privileges, service::MemberStatus::active, g.group_id, secrets)},
        tokens});
  } else {
    const MemberState& before = existing->state;
    if (before.status == service::MemberStatus::revoked)
      throw RpcError(Code::refused, member.account + " was revoked from " + g.name +
                                        ", and a revoked member stays revoked");
    // ADMIN stays SUPER if it was: taking SUPER away is group.admin_remove's.
    privileges =
        service::Privileges{before.privileges.recrypt, true, super || before.privileges.super};
    MembershipState after = chain;
    if (!(privileges == before.privileges)) {
      MembershipRecord update = after.next(RecordOp::update);
      update.members = {
          MemberChange{existing->member, MemberState{before.account, privileges, before.status}}};
      tokens.push_back(sign(update));
      check_locally(after, {tokens.back()});
      after.append(tokens.back());
    }
    MembershipRecord resplit = after.next(RecordOp::resplit);
    resplit.key_id = g.keys.back().key_id;
    resplit.members = {
        MemberChange{existing->member, MemberState{before.account, privileges, before.status}}};
    tokens.push_back(sign(resplit));
    check_locally(chain, tokens);
    link.update_member(service::UpdateMemberRequest{
        g.group_id, existing->member, std::nullopt,
        privileges == before.privileges ? std::nullopt : std::optional(privileges),
        admin_entry(member, privileges, before.status, g.group_id, secrets), tokens});
  }
  for (const auto& t : tokens) chain.append(t);
  auto now = chain.find(member.id());
  return Json{{"member", member.id()},
              {"account", member.account},
              {"privileges", service::privileges_to_json(now->state.privileges)},
              {"status", service::to_string(now->state.status)},
              {"devices", member.devices.size()}};
}

}  // namespace

Json Agent::group_admin_add(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  auto member_profile = fetch_confirmed_profile(
      link, known_, member, agent_rpc::param_optional_string(params, "fingerprint"));
  MembershipState chain = admin_membership(link, g);
  const SealedGroupKey& current = g.keys.back();
  GroupSecrets secrets{unseal_scalar(backend(current.backend), current), std::nullopt};
  if (g.sealed_signing_key)
    secrets.signing_key =
        unseal_scalar(backend(g.sealed_signing_key->backend), *g.sealed_signing_key);
  Json out = grant_admin(link, chain, g, member_profile, params.value("super", false), secrets,
                         [&](const MembershipRecord& r) { return sign_record(r, profile); });
  home_.save_membership(chain);
  out["group"] = g.name;
  out["signing_key"] = g.sealed_signing_key.has_value();
  return out;
}

Json Agent::group_admin_remove(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  const MemberChange m = chain_member(chain, member, g.name);
  if (!holds_power(m.state.privileges))
    throw RpcError(Code::refused, m.state.account + " is not an administrator of group " + g.name +
                                      " (by its membership chain)");
  if (m.member == service::verify_personal_profile(profile.token).id())
    throw RpcError(Code::refused,
                   "an administrator does not remove itself: hand the group over instead "
                   "(group.handover)");
  service::Privileges privileges{true, false, false};
  MembershipRecord record = chain.next(RecordOp::update);
  record.members = {
      MemberChange{m.member, MemberState{m.state.account, privileges, m.state.status}}};
  std::string token = sign_record(record, profile);
  check_locally(chain, {token});
  link->update_member(service::UpdateMemberRequest{
      g.group_id, m.member, std::nullopt, privileges, std::nullopt, {token}});
  chain.append(token);
  home_.save_membership(chain);
  // Not rotated here: the removed administrator has held the group key, so only a rotation
  // makes later documents unreadable to it, and a rotation re-splits every member. The caller
  // chooses when (docs/SECURITY.md).
  return Json{{"group", g.name},
              {"member", m.member},
              {"account", m.state.account},
              {"privileges", service::privileges_to_json(privileges)},
              {"rotation_advised", true}};
}

Json Agent::group_handover(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  const bool stay_member = params.value("stay_member", false);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  auto member_profile = fetch_confirmed_profile(
      link, known_, member, agent_rpc::param_optional_string(params, "fingerprint"));
  auto me = service::verify_personal_profile(profile.token);
  if (member_profile.id() == me.id())
    throw RpcError(Code::invalid_params, "a group is handed over to another member");
  MembershipState chain = admin_membership(link, g);
  auto mine = chain.find(me.id());
  if (!mine || mine->state.status != service::MemberStatus::active || !mine->state.privileges.super)
    throw RpcError(Code::refused, me.account + " is not SUPER in group " + g.name +
                                      " (by its membership chain): only SUPER hands a group over");

  // First the new administrator, with the keys and SUPER: if this fails, nothing changed.
  const SealedGroupKey& current = g.keys.back();
  GroupSecrets secrets{unseal_scalar(backend(current.backend), current), std::nullopt};
  if (g.sealed_signing_key)
    secrets.signing_key =
        unseal_scalar(backend(g.sealed_signing_key->backend), *g.sealed_signing_key);
  auto sign = [&](const MembershipRecord& r) { return sign_record(r, profile); };
  Json successor = grant_admin(link, chain, g, member_profile, true, secrets, sign);
  home_.save_membership(chain);

  // Then this administrator steps down, by its own record, while it is still SUPER.
  MemberState after{mine->state.account, service::Privileges{true, false, false},
                    stay_member ? service::MemberStatus::active : service::MemberStatus::revoked};
  MembershipRecord record = chain.next(RecordOp::update);
  record.members = {MemberChange{me.id(), after}};
  std::string token = sign(record);
  check_locally(chain, {token});
  link->update_member(service::UpdateMemberRequest{
      g.group_id, me.id(), after.status, after.privileges, std::nullopt, {token}});
  chain.append(token);
  home_.save_membership(chain);
  home_.remove_group(g.group_id);
  successor["group"] = g.name;
  return Json{{"group", g.name},
              {"to", successor},
              {"stepped_down", Json{{"privileges", service::privileges_to_json(after.privileges)},
                                    {"status", service::to_string(after.status)}}},
              {"rotation_advised", true}};
}

}  // namespace recrypt::agent
