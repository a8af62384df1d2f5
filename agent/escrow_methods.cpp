// group.escrow and group.recover: a group's administration written to a file for a recovery
// key (agent/escrow.hpp), and taken up again from it by another agent. Recovery signs with the
// group's own key, which the group's chain and service accept from whoever holds it: it adds
// (or reinstates) this agent's profile as a SUPER administrator, with a share of the current
// group key, and files the keys sealed to one of this agent's backends.
#include <algorithm>

#include "agent/agent.hpp"
#include "agent/escrow.hpp"
#include "agent/group_keys.hpp"
#include "agent/member_combine.hpp"
#include "agent/membership_sync.hpp"
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

const service::Privileges kSuper{true, true, true};

// The typed secret of a recovery, never logged: params are not.
std::optional<std::string> typed_param(const Json& params) {
  return agent_rpc::param_optional_string(params, "passphrase");
}

}  // namespace

Json Agent::group_escrow(const Json& params) {
  AdminGroup g = require_admin_group(params);
  if (!g.sealed_signing_key)
    throw RpcError(Code::refused, "group " + g.name + "'s signing key was made by backend " +
                                      g.signing_key->backend +
                                      ", which never gives it out: without it the group cannot be "
                                      "recovered, so it cannot be escrowed");
  auto recovery_key = agent_rpc::param_optional_string(params, "recovery_key");
  auto passphrase = typed_param(params);
  if (recovery_key && passphrase)
    throw RpcError(Code::invalid_params, "give a recovery key or a passphrase, not both");

  const SealedGroupKey& sealed = *g.sealed_signing_key;
  EscrowSecrets secrets{g.token, unseal_scalar(backend(sealed.backend), sealed), {}};
  for (const SealedGroupKey& k : g.keys)
    secrets.keys.push_back(unseal_scalar(backend(k.backend), k));

  Json out{{"group", g.name}, {"id", g.group_id}, {"keys", g.keys.size()}};
  std::optional<EscrowFile> file;
  if (recovery_key) {
    std::string backend_name =
        agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
    backend::KeyInfo key =
        backend(backend_name).adopt_key(*recovery_key, backend::KeyPurpose::encryption);
    std::string fingerprint = udf::key_fingerprint(key.public_key);
    file = seal_escrow(secrets, key.public_key, DeviceRecovery{fingerprint});
    out["recovery"] = "key";
    out["recovery_key"] = fingerprint;
  } else {
    TypedRecovery typed = new_typed_recovery(!passphrase);
    SecureString code;
    if (passphrase)
      code.assign(passphrase->data(), passphrase->size());
    else
      code = recovery_code();
    Scalar key = typed_recovery_key(typed, std::string_view(code.data(), code.size()));
    file = seal_escrow(secrets, key.public_point(), typed);
    out["recovery"] = passphrase ? "passphrase" : "code";
    // Shown once, by the CLI, for the user to write down; kept nowhere.
    if (!passphrase) out["recovery_code"] = std::string(code.data(), code.size());
  }
  out["escrow"] = file->serialize();
  return out;
}

EscrowSecrets Agent::open_escrow_file(const EscrowFile& file, const Json& params) {
  if (const auto* typed = std::get_if<TypedRecovery>(&file.recovery)) {
    auto passphrase = typed_param(params);
    if (!passphrase)
      throw RpcError(Code::invalid_params, std::string("this escrow opens with its recovery ") +
                                               (typed->code ? "code" : "passphrase") +
                                               ": give it as \"passphrase\"");
    Scalar key = typed_recovery_key(*typed, *passphrase);
    try {
      return open_escrow(file, key);
    } catch (const Error& e) {
      if (e.code() != Errc::decrypt_failed) throw;
      throw RpcError(Code::auth_failed, std::string("the recovery ") +
                                            (typed->code ? "code" : "passphrase") +
                                            " does not open this escrow");
    }
  }
  // A key on a device: whichever present backend holds the key the file names.
  const std::string& wanted = std::get<DeviceRecovery>(file.recovery).key;
  const Point t = escrow_ephemeral_key(file);
  for (auto& [name, b] : backends_) {
    if (!b->present()) continue;
    for (const backend::KeyInfo& k : b->list_keys()) {
      if (k.purpose != backend::KeyPurpose::encryption ||
          udf::key_fingerprint(k.public_key) != wanted)
        continue;
      return open_escrow(file, ecdh_points(b->ecdh(k.id, t)));
    }
  }
  throw RpcError(Code::device_error, "this escrow opens with the key " + wanted +
                                         ", which no present device of this agent holds (plug in "
                                         "the recovery token?)");
}

Json Agent::group_recover(const Json& params) {
  EscrowFile file = EscrowFile::parse(agent_rpc::param_string(params, "escrow"));
  std::string backend_name =
      agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
  backend::Backend& keep = backend(backend_name);
  LocalProfile profile = require_profile(ProfileNeed::signed_token);
  if (auto existing = home_.find_group(file.group_id))
    throw RpcError(Code::conflict, "this agent already administers group " + existing->name);
  EscrowSecrets secrets = open_escrow_file(file, params);
  auto escrowed = service::verify_group_profile(secrets.profile);
  auto me = service::verify_personal_profile(profile.token);

  // Signed by the group itself from here: this profile is no administrator of it yet.
  ServiceDirectory::Lease link =
      services_.connect(escrowed.service, jws::software_signer(secrets.signing_key), escrowed.id());
  if (escrowed.service != profile.service)
    link->publish_profile(service::PublishProfileRequest{profile.token},
                          signer(profile.signing_key), me.id());
  // The group as it is now: its profile may name keys made since the escrow.
  auto current = link->get_group(service::GetGroupRequest{escrowed.id()});
  auto doc = service::verify_group_profile(current.profile);
  if (doc.id() != escrowed.id())
    throw RpcError(Code::refused, "the service answered another group for " + escrowed.name);
  MembershipState chain = verified_membership(link, doc.id(), doc.name);
  if (chain.length() == 0)
    throw RpcError(Code::refused, "group " + doc.name + " has no membership chain to recover into");
  const Scalar* current_key = nullptr;
  for (const Scalar& k : secrets.keys)
    if (udf::key_fingerprint(k.public_point()) == chain.key_id()) current_key = &k;
  if (current_key == nullptr)
    throw RpcError(Code::refused, "the escrow was made before group " + doc.name +
                                      "'s current key " + chain.key_id() +
                                      ": recover from a newer escrow (an administrator who "
                                      "rotated the key can write one)");

  auto signer_of_group = jws::software_signer(secrets.signing_key);
  auto mine = chain.find(me.id());
  if (mine && mine->state.status == service::MemberStatus::revoked)
    throw RpcError(Code::refused, me.account + " was revoked from group " + doc.name +
                                      ", and revoked stays revoked: recover with another profile");
  MemberState state{me.account, kSuper, service::MemberStatus::active};
  service::MemberEntry entry = member_entry_for(me, kSuper, state.status, *current_key);
  std::vector<std::string> tokens;
  if (!mine) {
    MembershipRecord add = chain.next(RecordOp::add);
    add.members = {MemberChange{me.id(), state}};
    tokens.push_back(add.sign(doc.signing_key, signer_of_group));
    chain.append(tokens.back());
    link->add_member(service::AddMemberRequest{doc.id(), {std::move(entry)}, tokens});
  } else {
    MembershipRecord update = chain.next(RecordOp::update);
    update.members = {MemberChange{me.id(), state}};
    tokens.push_back(update.sign(doc.signing_key, signer_of_group));
    chain.append(tokens.back());
    MembershipRecord resplit = chain.next(RecordOp::resplit);
    resplit.key_id = chain.key_id();
    resplit.members = {MemberChange{me.id(), state}};
    tokens.push_back(resplit.sign(doc.signing_key, signer_of_group));
    chain.append(tokens.back());
    link->update_member(service::UpdateMemberRequest{doc.id(), me.id(), state.status, kSuper,
                                                     std::move(entry), tokens});
  }

  AdminGroup g;
  g.name = doc.name;
  g.group_id = doc.id();
  g.service = escrowed.service;
  g.token = current.profile;
  g.sealed_signing_key = seal_scalar(keep, backend_name, group_signing_label(g.group_id),
                                     g.group_id, secrets.signing_key);
  for (const Scalar& k : secrets.keys) {
    std::string key_id = udf::key_fingerprint(k.public_point());
    g.keys.push_back(seal_scalar(keep, backend_name, group_key_label(key_id), key_id, k));
  }
  // The current key last, as every group file has it.
  std::stable_partition(g.keys.begin(), g.keys.end(),
                        [&](const SealedGroupKey& k) { return k.key_id != chain.key_id(); });
  g.chained = true;
  home_.save_group(g);
  {
    std::lock_guard guard(membership_mutex_);
    home_.save_membership(chain);
  }
  known_.check_or_pin(KnownKind::group, g.name, g.group_id);
  return Json{{"group", g.name},      {"id", g.group_id},  {"key_id", chain.key_id()},
              {"service", g.service}, {"member", me.id()}, {"reinstated", mine.has_value()}};
}

}  // namespace recrypt::agent
