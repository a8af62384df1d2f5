// Administering groups: the master key a is sealed to a backend, unsealed only inside one
// method call, and wiped when the call returns (Scalar's destructor).
#include "agent/agent.hpp"
#include "agent/service_link.hpp"
#include "agent/share_forms.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {

service::Privileges privileges_param(const Json& params) {
  auto it = params.find("privileges");
  if (it == params.end() || it->is_null()) return service::Privileges{.recrypt = true};
  try {
    return service::privileges_from_json(*it);
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::invalid_params, std::string("privileges: ") + e.what());
  }
}


// A member is named by account or by profile id; a profile id may be given in part.
service::PersonalProfile fetch_member(service::Client& link, const std::string& member) {
  service::GetProfileRequest request;
  if (member.find('@') != std::string::npos)
    request.account = member;
  else
    request.id = member;
  auto response = link.get_profile(request);
  return service::verify_personal_profile(response.profile);
}

Json group_json(const AdminGroup& g) {
  Json keys = Json::array();
  for (const auto& k : g.keys) keys.push_back(k.key_id);
  return Json{{"name", g.name}, {"id", g.group_id}, {"service", g.service}, {"key_id", g.keys.back().key_id},
              {"keys", keys}};
}

}  // namespace

AdminGroup Agent::require_admin_group(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  auto group = home_.find_group(name);
  if (!group) throw RpcError(Code::not_found, "this agent administers no group \"" + name + "\"");
  return *group;
}

// Unseals a group's master key for the length of one admin operation.
static Scalar unseal_group_key(backend::Backend& b, const SealedGroupKey& sealed) {
  SecureBytes raw = b.unseal(base64url::decode(sealed.sealed));
  Scalar a = Scalar::from_bytes(Curve::p256(), raw);
  if (!(a.public_point() == jwk::to_public(sealed.public_jwk)))
    throw RpcError(Code::device_error, "the sealed group key does not match the group's public key");
  return a;
}

Json Agent::group_create(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  std::string backend_name = agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
  LocalProfile profile = require_profile(ProfileNeed::signed_token);
  if (home_.find_group(name)) throw RpcError(Code::conflict, "this agent already administers a group \"" + name + "\"");
  backend::Backend& b = backend(backend_name);

  auto signing = b.generate_key("group:" + name, backend::KeyPurpose::signing);
  auto group_key = recryption::GroupKey::generate(Curve::p256());
  std::string key_id = udf::key_fingerprint(group_key.public_key);
  Bytes sealed = b.seal("group-key:" + key_id, group_key.secret.to_bytes());

  service::GroupProfile doc{name, signing.public_key, group_key.public_key, {}, profile.service, service::rfc3339_now()};
  AdminGroup g{name, doc.id(), profile.service, KeyRef{backend_name, signing.id}, doc.sign(signer(KeyRef{backend_name, signing.id})),
               {SealedGroupKey{key_id, jwk::from_public(group_key.public_key), backend_name, base64url::encode(sealed)}}};

  // The administrator is the first member: SUPER, and able to read the group's documents.
  auto me = service::verify_personal_profile(profile.token);
  service::CreateGroupRequest request{g.token, {member_entry_for(me, service::Privileges{true, true, true},
                                                                  service::MemberStatus::active, group_key.secret)}};
  ServiceDirectory::Lease link = service_as_device(profile);
  link->create_group(request);
  home_.save_group(g);
  return group_json(g);
}

Json Agent::group_add(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  auto member_profile = fetch_member(link, member);
  if (auto pin = agent_rpc::param_optional_string(params, "fingerprint"); pin && !udf::matches(member_profile.id(), *pin))
    throw RpcError(Code::refused, "the service returned profile " + member_profile.id() + " for " + member +
                                      ", which does not match the fingerprint you gave");
  auto status = params.value("inactive", false) ? service::MemberStatus::suspended : service::MemberStatus::active;
  const SealedGroupKey& current = g.keys.back();
  Scalar a = unseal_group_key(backend(current.backend), current);
  service::AddMemberRequest request{g.group_id, {member_entry_for(member_profile, privileges_param(params), status, a)}};
  link->add_member(request);
  return Json{{"group", g.name}, {"member", member_profile.id()}, {"account", member_profile.account},
              {"devices", member_profile.devices.size()}, {"status", service::to_string(status)}};
}

Json Agent::set_member_status(const Json& params, std::string_view status) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  auto member_profile = fetch_member(link, member);
  service::UpdateMemberRequest request{g.group_id, member_profile.id(), service::parse_status(status), std::nullopt};
  auto response = link->update_member(request);
  return Json{{"group", g.name}, {"member", member_profile.id()}, {"account", member_profile.account},
              {"status", service::to_string(response.member.status)}};
}

Json Agent::group_suspend(const Json& params) { return set_member_status(params, "SUSPENDED"); }
Json Agent::group_revoke(const Json& params) { return set_member_status(params, "REVOKED"); }
Json Agent::group_reinstate(const Json& params) { return set_member_status(params, "ACTIVE"); }

Json Agent::group_rotate(const Json& params) {
  AdminGroup g = require_admin_group(params);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  auto current = link->get_group(service::GetGroupRequest{g.group_id});

  const SealedGroupKey& old = g.keys.back();
  backend::Backend& b = backend(old.backend);
  auto group_key = recryption::GroupKey::generate(Curve::p256());
  std::string key_id = udf::key_fingerprint(group_key.public_key);
  Bytes sealed = b.seal("group-key:" + key_id, group_key.secret.to_bytes());

  auto doc = service::verify_group_profile(g.token);
  doc.past_encryption_keys.insert(doc.past_encryption_keys.begin(), doc.encryption_key);
  doc.encryption_key = group_key.public_key;
  doc.created = service::rfc3339_now();

  // Every member but the revoked gets a share of the new key, each wrapped to the devices its
  // profile lists now: a device removed since is left out.
  service::RotateGroupKeyRequest request{g.group_id, doc.sign(signer(g.signing_key)), {}};
  std::size_t skipped = 0;
  for (const auto& m : current.members) {
    if (m.status == service::MemberStatus::revoked) {
      ++skipped;
      continue;
    }
    auto member_profile = fetch_member(link, m.member);
    request.entries.push_back(member_entry_for(member_profile, m.privileges, m.status, group_key.secret));
  }
  link->rotate_group_key(request);
  g.token = request.profile;
  g.keys.push_back(SealedGroupKey{key_id, jwk::from_public(group_key.public_key), old.backend, base64url::encode(sealed)});
  home_.save_group(g);
  Json out = group_json(g);
  out["members"] = request.entries.size();
  out["revoked_left_out"] = skipped;
  return out;
}

Json Agent::group_resplit(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  auto member_profile = fetch_member(link, member);
  auto current = link->get_group(service::GetGroupRequest{g.group_id});
  auto it = std::find_if(current.members.begin(), current.members.end(),
                         [&](const service::MemberSummary& m) { return m.member == member_profile.id(); });
  if (it == current.members.end()) throw RpcError(Code::not_found, member + " is not a member of " + g.name);
  const SealedGroupKey& key = g.keys.back();
  Scalar a = unseal_group_key(backend(key.backend), key);
  // A fresh split replaces the member's entry for the current key: the old share, and any
  // copy of it on a lost device, no longer combines with the service's new r.
  service::UpdateMemberRequest request{g.group_id, member_profile.id(), std::nullopt, std::nullopt};
  request.entry = member_entry_for(member_profile, it->privileges, it->status, a);
  link->update_member(request);
  return Json{{"group", g.name}, {"member", member_profile.id()}, {"devices", member_profile.devices.size()}};
}

Json Agent::group_show(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  auto g = link->get_group(service::GetGroupRequest{name});
  Json members = Json::array();
  for (const auto& m : g.members) members.push_back(m.to_json());
  return Json{{"name", g.name}, {"id", g.group}, {"key_id", g.key_id}, {"members", members}};
}

Json Agent::group_list(const Json&) {
  Json out = Json::array();
  for (const auto& g : home_.load_groups()) out.push_back(group_json(g));
  return out;
}

Json Agent::group_recipient(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  std::string token;
  if (auto g = home_.find_group(name)) {
    token = g->token;
  } else {
    LocalProfile profile = require_profile();
    ServiceDirectory::Lease link = service_as_device(profile);
    // A group is named by its name or by its fingerprint; names are tried first.
    service::GetProfileRequest by_name;
    by_name.group = name;
    try {
      token = link->get_profile(by_name).profile;
    } catch (const service::ServiceError& e) {
      if (e.status() != service::status::kNotFound) throw;
      service::GetProfileRequest by_id;
      by_id.id = name;
      token = link->get_profile(by_id).profile;
    }
  }
  auto doc = service::verify_group_profile(token);
  return Json{{"name", doc.name}, {"id", doc.id()}, {"key_id", doc.key_id()}, {"service", doc.service}, {"profile", token}};
}

Json Agent::group_audit(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile);
  service::ReadAuditRequest request{name, 0, 1000};
  auto response = link->read_audit(request);
  Json out = Json::array();
  for (const auto& r : response.records) out.push_back(r.to_json());
  return out;
}

}  // namespace recrypt::agent
