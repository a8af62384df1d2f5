// Administering groups: the master key a is sealed to a backend, unsealed only inside one
// method call, and wiped when the call returns (Scalar's destructor). Who is in a group is
// what the verified membership chain says (membership_sync.hpp), never the service's list:
// every change is a record this agent signs, and a rotation gives the new key only to the
// members the chain holds.
#include "agent/agent.hpp"
#include "agent/group_keys.hpp"
#include "agent/log.hpp"
#include "agent/home_services.hpp"
#include "agent/lost_answer.hpp"
#include "agent/membership_checks.hpp"
#include "agent/membership_sync.hpp"
#include "agent/profile_lookup.hpp"
#include "agent/secret_forms.hpp"
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
using service::MemberChange;
using service::MembershipRecord;
using service::MembershipState;
using service::MemberState;
using service::RecordOp;

namespace {

// Member entries per request of a rotation in steps: a few hundred KiB of JSON for members
// with a device or two, well inside the service's 1 MiB body and 1000 entries. A caller may
// ask for smaller pages ("page"), for members with many devices.
constexpr std::size_t kRotationPage = 200;
constexpr std::size_t kMaxRotationPage = 1000;

std::size_t rotation_page(const Json& params) {
  auto it = params.find("page");
  if (it == params.end() || it->is_null()) return kRotationPage;
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() < 1 ||
      it->get<std::uint64_t>() > kMaxRotationPage)
    throw RpcError(Code::invalid_params,
                   "page must be a whole number from 1 to " + std::to_string(kMaxRotationPage));
  return it->get<std::size_t>();
}

service::Privileges privileges_param(const Json& params) {
  auto it = params.find("privileges");
  if (it == params.end() || it->is_null()) return service::Privileges{.recrypt = true};
  try {
    return service::privileges_from_json(*it);
  } catch (const service::ServiceError& e) {
    throw RpcError(Code::invalid_params, std::string("privileges: ") + e.what());
  }
}

Json group_json(const AdminGroup& g) {
  Json keys = Json::array();
  for (const auto& k : g.keys) keys.push_back(k.key_id);
  return Json{{"name", g.name},
              {"id", g.group_id},
              {"service", g.service},
              {"key_id", g.keys.back().key_id},
              {"keys", keys}};
}

Json member_json(const std::string& id, const MemberState& s) {
  return Json{{"member", id},
              {"account", s.account},
              {"privileges", service::privileges_to_json(s.privileges)},
              {"status", service::to_string(s.status)}};
}

}  // namespace

AdminGroup Agent::require_admin_group(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  if (auto group = home_.find_group(name)) return *group;
  // A co-administrator's agent: the group's secrets wait at the service for this device.
  return receive_admin_group(name, std::nullopt);
}

jws::Signer Agent::group_signer(const AdminGroup& g) {
  if (g.signing_key) return signer(*g.signing_key);
  if (!g.sealed_signing_key)
    throw RpcError(Code::refused, "the signing key of group " + g.name +
                                      " never left the agent that created it: only that agent "
                                      "signs a new group profile (rotates the key)");
  const SealedGroupKey& sealed = *g.sealed_signing_key;
  return owning_signer(unseal_scalar(backend(sealed.backend), sealed));
}

std::string Agent::sign_record(const MembershipRecord& record, const LocalProfile& profile) {
  auto me = service::verify_personal_profile(profile.token);
  return record.sign(me.signing_key, signer(profile.signing_key));
}

MembershipState Agent::verified_membership(service::Client& link, const std::string& group_id,
                                           const std::string& group_name) {
  std::lock_guard guard(membership_mutex_);
  MembershipState state =
      sync_membership(link, group_id, group_name, home_.load_membership(group_id));
  home_.save_membership(state);
  return state;
}

MembershipState Agent::admin_membership(service::Client& link, AdminGroup& g) {
  MembershipState state = verified_membership(link, g.group_id, g.name);
  if (state.length() > 0) {
    // Administrators are whom the chain names: one whose ADMIN was taken keeps its copy of
    // the keys, but not the say.
    LocalProfile profile = require_profile();
    auto me = service::verify_personal_profile(profile.token);
    auto mine = state.members().find(me.id());
    if (mine == state.members().end() || mine->second.status != service::MemberStatus::active ||
        !(mine->second.privileges.admin || mine->second.privileges.super))
      throw RpcError(Code::refused, me.account + " is not an administrator of group " + g.name +
                                        " (by its membership chain)");
    // Another administrator rotated the key: this agent's copy is refreshed from the service.
    if (state.key_id() != g.keys.back().key_id) g = receive_admin_group(g.group_id, g);
    return state;
  }
  if (g.chained)
    throw RpcError(Code::refused, "the service's membership chain of group " + g.name +
                                      " is empty, but this agent started it: records were dropped");
  // A group created before membership chains, which this agent never saw a chain of: once,
  // the membership the service holds now is signed as the chain's start (trust on first use).
  auto current = link.get_group(service::GetGroupRequest{g.group_id});
  if (current.group != g.group_id || current.key_id != g.keys.back().key_id)
    throw RpcError(Code::refused, "the service answered another group or key for " + g.name);
  auto doc = service::verify_group_profile(g.token);
  auto signer_of_group = group_signer(g);
  LocalProfile profile = require_profile();
  std::string me = service::verify_personal_profile(profile.token).id();
  auto mine = std::find_if(current.members.begin(), current.members.end(),
                           [&](const service::MemberSummary& m) { return m.member == me; });
  if (mine == current.members.end())
    throw RpcError(Code::refused, "the service does not list this administrator in " + g.name);
  auto state_of = [](const service::MemberSummary& m) {
    return MemberState{m.account.empty() ? m.member : m.account, m.privileges, m.status};
  };
  MembershipRecord genesis = state.next(RecordOp::genesis);
  genesis.key_id = g.keys.back().key_id;
  genesis.members = {MemberChange{me, state_of(*mine)}};
  std::vector<std::string> tokens{genesis.sign(doc.signing_key, signer_of_group)};
  state.append(tokens.back());
  for (const auto& m : current.members) {
    if (m.member == me) continue;
    MembershipRecord add = state.next(RecordOp::add);
    add.members = {MemberChange{m.member, state_of(m)}};
    tokens.push_back(add.sign(doc.signing_key, signer_of_group));
    state.append(tokens.back());
  }
  link.migrate_membership(service::MigrateMembershipRequest{g.group_id, tokens});
  g.chained = true;
  home_.save_group(g);
  std::lock_guard guard(membership_mutex_);
  home_.save_membership(state);
  return state;
}

Json Agent::group_create(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  std::string backend_name =
      agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
  LocalProfile profile = require_profile(ProfileNeed::signed_token);
  if (home_.find_group(name))
    throw RpcError(Code::conflict, "this agent already administers a group \"" + name + "\"");
  backend::Backend& b = backend(backend_name);

  // The group's signing key is made here and sealed, as the group key is, so that it can
  // reach co-administrators and an escrow; a key the backend made could never leave it.
  Scalar signing = Scalar::random(Curve::p256());
  auto group_key = recryption::GroupKey::generate(Curve::p256());
  std::string key_id = udf::key_fingerprint(group_key.public_key);

  service::GroupProfile doc{name, signing.public_point(), group_key.public_key,
                            {},   profile.service,        service::rfc3339_now()};
  AdminGroup g;
  g.name = name;
  g.group_id = doc.id();
  g.service = profile.service;
  g.sealed_signing_key =
      seal_scalar(b, backend_name, group_signing_label(g.group_id), g.group_id, signing);
  g.token = doc.sign(jws::software_signer(signing));
  g.keys = {seal_scalar(b, backend_name, group_key_label(key_id), key_id, group_key.secret)};
  g.chained = true;

  // The administrator is the first member: SUPER, and able to read the group's documents.
  auto me = service::verify_personal_profile(profile.token);
  const service::Privileges all{true, true, true};
  MembershipState chain(g.group_id);
  MembershipRecord genesis = chain.next(RecordOp::genesis);
  genesis.key_id = key_id;
  genesis.members = {
      MemberChange{me.id(), MemberState{me.account, all, service::MemberStatus::active}}};
  std::string token = genesis.sign(doc.signing_key, jws::software_signer(signing));
  chain.append(token);
  service::CreateGroupRequest request{
      g.token,
      {member_entry_for(me, all, service::MemberStatus::active, group_key.secret)},
      {token}};
  ServiceDirectory::Lease link = service_as_device(profile);
  link->create_group(request);
  home_.save_group(g);
  home_.save_membership(chain);
  known_.check_or_pin(KnownKind::group, name, g.group_id);
  return group_json(g);
}

Json Agent::group_add(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  std::vector<std::string> carried;  // the profile, if it came from the member's home service
  auto member_profile = member_to_add(
      link, g.service, member, agent_rpc::param_optional_string(params, "fingerprint"), carried);
  MembershipState chain = admin_membership(link, g);
  auto status = params.value("inactive", false) ? service::MemberStatus::suspended
                                                : service::MemberStatus::active;
  service::Privileges privileges = privileges_param(params);
  MembershipRecord record = chain.next(RecordOp::add);
  record.members = {
      MemberChange{member_profile.id(), MemberState{member_profile.account, privileges, status}}};
  std::string token = sign_record(record, profile);
  check_locally(chain, token);

  const SealedGroupKey& current = g.keys.back();
  Scalar a = unseal_scalar(backend(current.backend), current);
  service::AddMemberRequest request{
      g.group_id, {member_entry_for(member_profile, privileges, status, a)}, {token}, carried};
  send_membership_change(link, g.group_id, record.seq, token, [&] { link->add_member(request); });
  chain.append(token);
  home_.save_membership(chain);
  return Json{{"group", g.name},
              {"member", member_profile.id()},
              {"account", member_profile.account},
              {"devices", member_profile.devices.size()},
              {"status", service::to_string(status)}};
}

Json Agent::set_member_status(const Json& params, service::MemberStatus status) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  const MemberChange m = chain_member(chain, member, g.name);
  MembershipRecord record = chain.next(RecordOp::update);
  record.members = {
      MemberChange{m.member, MemberState{m.state.account, m.state.privileges, status}}};
  std::string token = sign_record(record, profile);
  check_locally(chain, token);
  service::UpdateMemberRequest request{g.group_id,   m.member,     status,
                                       std::nullopt, std::nullopt, {token}};
  send_membership_change(link, g.group_id, record.seq, token,
                         [&] { link->update_member(request); });
  chain.append(token);
  home_.save_membership(chain);
  return Json{{"group", g.name},
              {"member", m.member},
              {"account", m.state.account},
              {"status", service::to_string(status)}};
}

Json Agent::group_suspend(const Json& params) {
  return set_member_status(params, service::MemberStatus::suspended);
}
Json Agent::group_revoke(const Json& params) {
  Json out = set_member_status(params, service::MemberStatus::revoked);
  // Until a rotation the revoked member's share still combines with what a service that
  // ignores the revocation answers; with "rotate", or when the group's policy says so, the
  // new key follows in the same call.
  bool rotate = params.value("rotate", false);
  if (!rotate) {
    AdminGroup g = require_admin_group(params);
    ServiceDirectory::Lease link = service_as_device(require_profile(), g.service);
    rotate = group_policy_of(link, g).rotate_on_revoke;
    if (rotate) out["rotated_by_policy"] = true;
  }
  if (rotate) out["rotated"] = group_rotate(Json{{"group", out["group"]}});
  return out;
}
Json Agent::group_reinstate(const Json& params) {
  return set_member_status(params, service::MemberStatus::active);
}

Json Agent::group_rotate(const Json& params) {
  const std::size_t page_size = rotation_page(params);
  AdminGroup g = require_admin_group(params);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  // The service's own list, only to tell the administrator what it claims beyond the chain.
  auto reported = link->get_group(service::GetGroupRequest{g.group_id});

  const SealedGroupKey& old = g.keys.back();
  backend::Backend& b = backend(old.backend);
  // Administrators get the new key with their share; the signing key goes with it, if it can.
  std::optional<Scalar> signing;
  if (g.sealed_signing_key)
    signing = unseal_scalar(backend(g.sealed_signing_key->backend), *g.sealed_signing_key);
  auto group_key = recryption::GroupKey::generate(Curve::p256());
  std::string key_id = udf::key_fingerprint(group_key.public_key);
  // Sealed before the service hears of it: a key the backend then refused to seal would be
  // lost with every share made from it.
  SealedGroupKey sealed =
      seal_scalar(b, old.backend, group_key_label(key_id), key_id, group_key.secret);

  auto doc = service::verify_group_profile(g.token);
  doc.past_encryption_keys.insert(doc.past_encryption_keys.begin(), doc.encryption_key);
  doc.encryption_key = group_key.public_key;
  doc.created = service::rfc3339_now();

  MembershipRecord record = chain.next(RecordOp::rotate);
  record.key_id = key_id;
  std::string token = sign_record(record, profile);
  check_locally(chain, token);

  // Every member the chain holds, but the revoked, gets a share of the new key, wrapped to the
  // devices its profile lists now: a device removed since is left out. A group whose entries
  // fit one request rotates in one RotateGroupKey; a larger one in steps (BeginRotation, pages
  // of AddRotationEntries, CommitRotation), so that no request and no page of this agent's
  // memory holds every entry. The group serves its old key until the commit.
  std::string new_profile = doc.sign(group_signer(g));
  std::size_t revoked = 0;
  for (const auto& [id, state] : chain.members())
    if (state.status == service::MemberStatus::revoked) ++revoked;
  const std::size_t entries = chain.members().size() - revoked;
  const bool in_steps = entries > page_size;
  if (in_steps) link->begin_rotation({g.group_id, new_profile, token});
  service::RotateGroupKeyRequest page{g.group_id, new_profile, {}, {token}};
  auto send_page = [&] {
    if (page.entries.empty()) return;
    link->add_rotation_entries(
        {g.group_id, key_id, std::move(page.entries), std::move(page.profiles)});
    page.entries.clear();
    page.profiles.clear();
  };
  for (const auto& [id, state] : chain.members()) {
    if (state.status == service::MemberStatus::revoked) continue;
    auto member_profile = current_member_profile(link, g.service, id, state.account, page.profiles);
    page.entries.push_back(
        member_entry_for(member_profile, state.privileges, state.status, group_key.secret));
    if (state.privileges.admin || state.privileges.super)
      page.entries.back().admin_keys = admin_keys_for(member_profile, g.group_id, group_key.secret,
                                                      signing ? &*signing : nullptr);
    if (in_steps && page.entries.size() == page_size) send_page();
  }
  Json refused = Json::array();
  for (const auto& m : reported.members) {
    auto it = chain.members().find(m.member);
    std::string reason;
    if (it == chain.members().end())
      reason = "the service lists this member, but no administrator's record adds them";
    else if (it->second.status == service::MemberStatus::revoked &&
             m.status != service::MemberStatus::revoked)
      reason = "revoked by an administrator's record, though the service lists them " +
               service::to_string(m.status);
    if (!reason.empty())
      refused.push_back(Json{{"member", m.member}, {"account", m.account}, {"reason", reason}});
  }
  if (in_steps) {
    send_page();
    link->commit_rotation({g.group_id, key_id});
  } else {
    link->rotate_group_key(page);
  }
  chain.append(token);
  home_.save_membership(chain);
  g.token = new_profile;
  g.keys.push_back(std::move(sealed));
  home_.save_group(g);
  Json out = group_json(g);
  out["members"] = entries;
  out["revoked_left_out"] = revoked;
  out["refused"] = refused;
  return out;
}

Json Agent::group_resplit(const Json& params) {
  AdminGroup g = require_admin_group(params);
  const std::string& member = agent_rpc::param_string(params, "member");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  MembershipState chain = admin_membership(link, g);
  const MemberChange m = chain_member(chain, member, g.name);
  std::vector<std::string> carried;
  auto member_profile = current_member_profile(link, g.service, m.member, m.state.account, carried);
  const SealedGroupKey& key = g.keys.back();
  MembershipRecord record = chain.next(RecordOp::resplit);
  record.key_id = key.key_id;
  record.members = {m};
  std::string token = sign_record(record, profile);
  check_locally(chain, token);
  Scalar a = unseal_scalar(backend(key.backend), key);
  // A fresh split replaces the member's entry for the current key: the old share, and any
  // copy of it on a lost device, no longer combines with the service's new r.
  service::UpdateMemberRequest request{
      g.group_id,
      m.member,
      std::nullopt,
      std::nullopt,
      member_entry_for(member_profile, m.state.privileges, m.state.status, a),
      {token},
      carried};
  link->update_member(request);
  chain.append(token);
  home_.save_membership(chain);
  return Json{{"group", g.name}, {"member", m.member}, {"devices", member_profile.devices.size()}};
}

Json Agent::group_show(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  LocalProfile profile = require_profile();
  // The group as its own signed profile states it, its name pinned (find_joined_group).
  JoinedGroup joined = find_joined_group(profile, name);
  const service::GetGroupResponse& g = joined.group;
  ServiceDirectory::Lease& link = joined.link;
  if (membership_hidden_from_caller(g)) {
    Json members = Json::array();
    for (const auto& m : g.members) members.push_back(m.to_json());
    return Json{{"name", g.name},
                {"id", g.group},
                {"key_id", g.key_id},
                {"members", members},
                {"unverified", Json::array()},
                {"hidden_membership", true},
                {"verified", false},
                {"chain_length", g.chain_length}};
  }
  MembershipState chain = verified_membership(link, g.group, g.name);

  // Members as the verified chain has them; what the service says beyond that is flagged.
  Json members = Json::array();
  for (const auto& [id, state] : chain.members()) members.push_back(member_json(id, state));
  Json unverified = Json::array();
  for (const auto& m : g.members) {
    auto it = chain.members().find(m.member);
    if (it != chain.members().end() &&
        it->second == MemberState{it->second.account, m.privileges, m.status})
      continue;
    Json j = m.to_json();
    j["reason"] = it == chain.members().end() ? "not in the membership chain"
                                              : "differs from the membership chain";
    unverified.push_back(std::move(j));
  }
  return Json{{"name", g.name},           {"id", g.group},
              {"key_id", g.key_id},       {"members", members},
              {"unverified", unverified}, {"hidden_membership", g.hidden_membership},
              {"verified", true},         {"chain_length", chain.length()}};
}

Json Agent::group_list(const Json&) {
  Json out = Json::array();
  for (const auto& g : home_.load_groups()) out.push_back(group_json(g));
  return out;
}

// A co-administrator may have rotated since this agent last administered the group: its own
// copy of the profile would then name a key whose revoked members still hold shares. The
// service's copy is taken when it is the group's (signed by its key) and no older than this
// agent's (it lists this agent's current key); when the service cannot be asked, this agent's.
std::string Agent::newest_group_profile(const AdminGroup& g) {
  try {
    service::GetProfileRequest by_id;
    by_id.id = g.group_id;
    std::string token = services_.anonymous(g.service)->get_profile(by_id).profile;
    auto doc = service::verify_group_profile(token);
    std::vector<std::string> keys = doc.all_key_ids();
    if (doc.id() != g.group_id ||
        std::find(keys.begin(), keys.end(), g.keys.back().key_id) == keys.end())
      throw RpcError(Code::refused, "the service answered group " + doc.name + " (" + doc.id() +
                                        ") with a profile that is not a successor of this agent's");
    return token;
  } catch (const service::ServiceError& e) {
    log_event("warning", "group " + g.name + ": its service was not asked for a newer key (" +
                             e.what() + "); encrypting to this agent's copy");
    return g.token;
  }
}

Json Agent::group_recipient(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "group");
  // At this user's service: a group named by its name or by its fingerprint, names first. The
  // profile must say it is hosted there.
  auto at_own_service = [&]() {
    LocalProfile profile = require_profile();
    ServiceDirectory::Lease link = service_as_device(profile);
    service::GetProfileRequest by_name;
    by_name.group = name;
    std::string found;
    try {
      found = link->get_profile(by_name).profile;
    } catch (const service::ServiceError& e) {
      if (e.status() != service::status::kNotFound) throw;
      service::GetProfileRequest by_id;
      by_id.id = name;
      found = link->get_profile(by_id).profile;
    }
    auto doc = service::verify_group_profile(found);
    if (doc.name != name && !udf::matches(doc.id(), name))
      throw RpcError(Code::refused, "the service answered group " + doc.name + " (" + doc.id() +
                                        ") when asked for " + name);
    if (doc.service != profile.service)
      throw RpcError(Code::refused, "group " + doc.name + " says it is hosted at " + doc.service +
                                        ", not at " + profile.service + " which answered for it");
    known_.check_or_pin(KnownKind::group, doc.name, doc.id());
    return found;
  };
  std::string token;
  if (auto g = home_.find_group(name)) {
    token = newest_group_profile(*g);
  } else if (auto own = home_.load_profile();
             !domain_of(name).empty() &&
             !(own && same_service(home_service_of(name), own->service))) {
    // A group of another domain is looked up at that domain's service; one that domain's
    // service does not know (or that has none) may still be hosted at this user's, as groups
    // made before members on other services were.
    try {
      token = remote_group_profile(name);
    } catch (const service::ServiceError& first) {
      try {
        token = at_own_service();
      } catch (const std::exception&) {
        throw first;
      }
    }
  } else {
    token = at_own_service();
  }
  auto doc = service::verify_group_profile(token);
  return Json{{"name", doc.name},
              {"id", doc.id()},
              {"key_id", doc.key_id()},
              {"service", doc.service},
              {"profile", token}};
}

Json Agent::group_audit(const Json& params) {
  if (params.contains("document") && !params["document"].is_null())
    return group_document_audit(params);
  const std::string& name = agent_rpc::param_string(params, "group");
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = group_link(profile, name);
  // Page after page (the service answers at most 1000 records to a request), each page's
  // records after the last one seen: a service cannot keep the agent asking forever.
  constexpr std::uint64_t kPage = 1000;
  service::ReadAuditRequest request{name, 0, kPage};
  Json out = Json::array();
  for (;;) {
    auto page = link->read_audit(request);
    for (const auto& r : page.records) {
      if (r.seq <= request.after)
        throw RpcError(Code::service_error, "the service's audit log does not move forward");
      request.after = r.seq;
      out.push_back(r.to_json());
    }
    if (page.records.size() < kPage) break;
  }
  return out;
}

}  // namespace recrypt::agent
