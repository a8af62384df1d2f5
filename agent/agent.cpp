#include "agent/agent.hpp"

#include "agent/log.hpp"
#include "agent/service_link.hpp"
#include "backend/soft_backend.hpp"
#include "base/error.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {
// How the agent's service clients are set up: AgentConfig's timeout, roots and DNS server.
service::ClientOptions client_options(const AgentConfig& config) {
  service::ClientOptions o;
  o.timeout = config.service_timeout;
  o.ca_file = config.ca_file;
  if (!config.dns_server.empty()) {
    // IPv4[:PORT]
    auto colon = config.dns_server.rfind(':');
    o.nameserver = config.dns_server.substr(0, colon);
    if (colon != std::string::npos) {
      const std::string port = config.dns_server.substr(colon + 1);
      unsigned long n = 0;
      try {
        n = std::stoul(port);
      } catch (const std::exception&) {
      }
      if (n == 0 || n > 65535 || port.find_first_not_of("0123456789") != std::string::npos)
        throw std::runtime_error("--dns-server takes IP[:PORT], not \"" + config.dns_server + "\"");
      o.nameserver_port = static_cast<std::uint16_t>(n);
    }
  }
  return o;
}
}  // namespace

Agent::Agent(AgentConfig config, PinProvider& pins)
    : config_(std::move(config)),
      pins_(pins),
      home_(config_.home),
      home_services_(config_.service_for),
      services_(client_options(config_)),
      started_(std::chrono::steady_clock::now()) {
  backend::SoftConfig soft{home_.backend_dir("soft"), config_.unlock_ttl};
  backends_.emplace("soft", std::make_unique<backend::SoftBackend>(soft, pins_.source()));
  for (auto& b : config_.extra_backends) {
    std::string name(b->name());
    backends_.emplace(std::move(name), std::move(b));
  }
  config_.extra_backends.clear();
  if (!backends_.count(config_.default_backend))
    throw std::runtime_error("backend \"" + config_.default_backend + "\" is not available");
}

Agent::~Agent() = default;

const std::vector<Agent::MethodInfo>& Agent::methods() {
  // Every method that changes a group, the profile, its devices or the pins is "admin"; the
  // one that hands out plaintext is "decrypt" (docs/SECURITY.md, Consent).
  constexpr ConsentKind kNone = ConsentKind::none, kDecrypt = ConsentKind::decrypt,
                        kAdmin = ConsentKind::admin;
  static const std::vector<MethodInfo> table = {
      {"agent.hello", "protocol version and agent version", Json::object(), &Agent::hello, false,
       kNone},
      {"agent.methods", "every method with its parameters", Json::object(), &Agent::list_methods,
       false, kNone},
      {"agent.status", "backends, their presence, the profile and groups", Json::object(),
       &Agent::status, false, kNone},
      {"agent.lock", "forget cached PINs and unlocked keys now", Json::object(), &Agent::lock,
       false, kNone},
      {"keys.list", "public keys held by each backend", Json::object(), &Agent::keys_list, false,
       kNone},
      {"profile.create", "create this user's profile and first device, publish it",
       Json{{"account", "string"},
            {"service", "string, service URL or domain (DNS SRV)"},
            {"backend", "string, optional"},
            {"device", "string, optional device name"},
            {"encryption_key", "string, optional: adopt this key instead of making one"},
            {"signing_key", "string, optional: adopt this key instead of making one"},
            {"profile_key", "string, optional: adopt this key instead of making one"}},
       &Agent::profile_create, true, kAdmin},
      {"profile.show", "this user's profile", Json::object(), &Agent::profile_show, false, kNone},
      {"profile.lookup", "another user's profile as the service has it, to confirm its fingerprint",
       Json{{"account", "string"}}, &Agent::profile_lookup, false, kNone},
      {"known.list", "accounts and group names pinned on first use", Json::object(),
       &Agent::known_list, false, kNone},
      {"known.forget", "forget the pin of an account or group name, to accept a new key",
       Json{{"name", "string"}}, &Agent::known_forget, true, kAdmin},
      {"device.add", "add a device (new or adopted keys on a backend) and republish the profile",
       Json{{"name", "string"},
            {"backend", "string, optional"},
            {"encryption_key", "string, optional: adopt this key instead of making one"},
            {"signing_key", "string, optional: adopt this key instead of making one"}},
       &Agent::device_add, true, kAdmin},
      {"device.confirm", "whether every decryption with a device asks the user first (on or off)",
       Json{{"name", "string"}, {"confirm", "boolean"}}, &Agent::device_confirm, true, kAdmin},
      {"device.list", "this profile's devices", Json::object(), &Agent::device_list, false, kNone},
      {"device.remove", "remove a device (lost or retired) and republish the profile",
       Json{{"name", "string"}}, &Agent::device_remove, true, kAdmin},
      {"group.create", "create a group administered by this user",
       Json{{"name", "string"}, {"backend", "string, optional: where the master key is sealed"}},
       &Agent::group_create, true, kAdmin},
      {"group.add", "add a member (by account or profile id)",
       Json{{"group", "string"},
            {"member", "string"},
            {"fingerprint",
             "string: the member's profile id; needed unless the account is pinned already"},
            {"privileges", "array, optional, default [\"RECRYPT\"]"}},
       &Agent::group_add, true, kAdmin},
      {"group.suspend", "suspend a member", Json{{"group", "string"}, {"member", "string"}},
       &Agent::group_suspend, true, kAdmin},
      {"group.revoke", "revoke a member for good",
       Json{{"group", "string"},
            {"member", "string"},
            {"rotate", "boolean, optional: rotate the group key at once (group.rotate)"}},
       &Agent::group_revoke, true, kAdmin},
      {"group.reinstate", "make a suspended member active again",
       Json{{"group", "string"}, {"member", "string"}}, &Agent::group_reinstate, true, kAdmin},
      {"group.rotate", "new group key, new shares for every member that is not revoked",
       Json{{"group", "string"},
            {"page",
             "integer, optional: member entries per request (1-1000, default 200); a "
             "larger group rotates in steps"}},
       &Agent::group_rotate, true, kAdmin},
      {"group.resplit", "new share for one member (after a lost device)",
       Json{{"group", "string"}, {"member", "string"}}, &Agent::group_resplit, true, kAdmin},
      {"group.show", "a group's members as its verified membership chain has them",
       Json{{"group", "string"}}, &Agent::group_show, false, kNone},
      {"group.list", "groups this user administers", Json::object(), &Agent::group_list, false,
       kNone},
      {"group.recipient", "the signed group profile to encrypt to", Json{{"group", "string"}},
       &Agent::group_recipient, false, kNone},
      {"group.audit",
       "the service's audit records of a group; with a document, who opened it and who was "
       "refused",
       Json{{"group", "string"},
            {"document", "string, optional: a .jcd's envelope line, as document.open takes it"}},
       &Agent::group_audit, false, kNone},
      {"group.escrow",
       "the group's keys in an escrow file, for a recovery code (made and returned once), a "
       "passphrase, or a key on a second device",
       Json{{"group", "string"},
            {"passphrase", "string, optional: the user's own instead of a recovery code"},
            {"recovery_key", "string, optional: a key id, PKCS#11 URI or PIV slot to escrow to"},
            {"backend", "string, optional: the recovery key's backend"}},
       &Agent::group_escrow, false, kAdmin},
      {"group.recover", "administer a group again from its escrow file",
       Json{{"escrow", "string, the escrow file"},
            {"passphrase", "string, optional: the recovery code or passphrase"},
            {"backend", "string, optional: where this agent seals the group's keys"}},
       &Agent::group_recover, true, kAdmin},
      {"group.admin_add", "make a member (or a new one) a co-administrator: ADMIN, or SUPER",
       Json{{"group", "string"},
            {"member", "string"},
            {"fingerprint", "string, optional: the member's profile id, unless pinned already"},
            {"super", "boolean, optional: SUPER (may grant ADMIN and SUPER) instead of ADMIN"}},
       &Agent::group_admin_add, true, kAdmin},
      {"group.admin_remove", "take a co-administrator's ADMIN and SUPER (back to RECRYPT)",
       Json{{"group", "string"}, {"member", "string"}}, &Agent::group_admin_remove, true, kAdmin},
      {"group.handover", "give the group to another administrator (SUPER) and step down",
       Json{{"group", "string"},
            {"member", "string"},
            {"fingerprint", "string, optional: the member's profile id, unless pinned already"},
            {"stay_member", "boolean, optional: stay a member with RECRYPT instead of revoked"}},
       &Agent::group_handover, true, kAdmin},
      {"group.policy", "a group's policy at its service: hidden membership, quotas, review",
       Json{{"group", "string"}}, &Agent::group_policy, false, kNone},
      {"group.set_policy", "change a group's policy at its service (the rest stays as it is)",
       Json{{"group", "string"},
            {"hidden_membership", "boolean, optional: members see only their own entry"},
            {"rotate_on_revoke", "boolean, optional: every revocation rotates the group key"},
            {"review", "boolean, optional: every recryption waits for an administrator"},
            {"review_keys", "array, optional: group key ids whose recryptions wait for review"},
            {"quota", "object, optional: {per_hour, per_day} for every member (0: no limit)"},
            {"member_quotas", "object, optional: member -> {per_hour, per_day}, or null to drop"}},
       &Agent::group_set_policy, true, kAdmin},
      {"group.reviews", "recryptions waiting for (or given) an administrator's review",
       Json{{"group", "string"}, {"all", "boolean, optional: decided ones too"}},
       &Agent::group_reviews, false, kNone},
      {"group.review_decide", "approve or deny a recryption waiting for review",
       Json{{"group", "string"},
            {"request", "number: the review request's id"},
            {"approve", "boolean: true approves, false denies"}},
       &Agent::group_review_decide, true, kAdmin},
      {"group.privileges", "a member's privileges: RECRYPT or none (not ADMIN or SUPER)",
       Json{
           {"group", "string"}, {"member", "string"}, {"privileges", "array: [\"RECRYPT\"] or []"}},
       &Agent::group_privileges, true, kAdmin},
      {"group.update", "rename a group: its profile re-signed with the new name, same keys",
       Json{{"group", "string"}, {"name", "string, the new name"}}, &Agent::group_update, true,
       kAdmin},
      {"group.leave", "leave a group: this member's own record revokes it",
       Json{{"group", "string"}}, &Agent::group_leave, true, kAdmin},
      {"group.join",
       "join a group on another service (its name's domain): documents of it may be opened there",
       Json{{"group", "string, NAME@DOMAIN"}}, &Agent::group_join, true, kAdmin},
      {"document.open",
       "open a JWE envelope (a .jcd header) and return its plaintext, or a small .jcd whole "
       "and return the document's content",
       Json{
           {"envelope", "string, the JWE JSON (or jcd)"},
           {"jcd", "string, base64url: a whole .jcd of up to 64 KiB (or envelope)"},
           {"name",
            "string, optional: the document's file name, shown (as claimed) if the user is asked"}},
       &Agent::document_open, false, kDecrypt},
      {"age.unwrap", "the file key of a recrypt stanza of an age file (age-plugin-recrypt)",
       Json{{"kid", "string: the stanza's KID"},
            {"epk", "string: the stanza's EPK (base64)"},
            {"locator", "string: the stanza's LOCATOR (base64)"},
            {"wrapped", "string: the stanza's body (base64, 24 bytes)"}},
       &Agent::age_unwrap, false, kDecrypt},
  };
  return table;
}

SecureString Agent::handle_line(const std::string& line, const Requester* requester) {
  Json id;
  agent_rpc::Request request;
  try {
    request = agent_rpc::parse_request(line, id);
  } catch (const RpcError& e) {
    return agent_rpc::make_error(id, e.code(), e.what());
  }
  try {
    Json result = call(request.method, request.params, requester);
    if (request.id.is_null()) {
      json::wipe_strings(result);
      return {};
    }
    return agent_rpc::make_result(request.id, std::move(result));
  } catch (const RpcError& e) {
    if (request.id.is_null()) return {};
    return agent_rpc::make_error(request.id, e.code(), e.what(), e.data());
  }
}

Json Agent::call(const std::string& method, const Json& params, const Requester* requester) {
  const auto& table = methods();
  auto it = std::find_if(table.begin(), table.end(),
                         [&](const MethodInfo& m) { return m.name == method; });
  if (it == table.end()) throw RpcError(Code::method_not_found, "no method \"" + method + "\"");
  try {
    // Asked before the state lock: a prompt left open must not hold up other clients.
    if (requester != nullptr)
      if (auto request = consent_needed(*it, params)) consent_.require(*requester, *request);
    if (it->changes_state) {
      std::lock_guard guard(state_mutex_);
      return (this->*(it->fn))(params);
    }
    return (this->*(it->fn))(params);
  } catch (const RpcError&) {
    throw;
  } catch (const backend::BackendError& e) {
    using backend::BackendErrc;
    Json data{{"errc", backend::backend_errc_name(e.code())}};
    // A refused PIN must not answer again from the cache: each try may count towards a
    // device's lockout.
    if (e.code() == BackendErrc::auth_failed) pins_.forget_all();
    switch (e.code()) {
      case BackendErrc::auth_failed:
      case BackendErrc::locked:
      case BackendErrc::cancelled:
        throw RpcError(Code::auth_failed, e.what(), data);
      case BackendErrc::no_such_key:
        throw RpcError(Code::not_found, e.what(), data);
      default:
        throw RpcError(Code::device_error, e.what(), data);
    }
  } catch (const service::ServiceError& e) {
    Code code = e.status() == service::status::kNotFound   ? Code::not_found
                : e.status() == service::status::kConflict ? Code::conflict
                                                           : Code::service_error;
    Json data{{"status", e.status()}};
    if (e.maybe_applied()) data["maybe_applied"] = true;
    throw RpcError(code, std::string("service: ") + e.what(), data);
  } catch (const Error& e) {
    Json data{{"errc", errc_name(e.code())}};
    if (e.code() == Errc::decrypt_failed) throw RpcError(Code::decrypt_failed, e.what(), data);
    if (e.code() == Errc::io || e.code() == Errc::internal)
      throw RpcError(Code::internal_error, e.what(), data);
    throw RpcError(Code::invalid_params, e.what(), data);
  } catch (const std::exception& e) {
    log_event("error", std::string("method ") + method + " failed: " + e.what());
    throw RpcError(Code::internal_error, e.what());
  }
}

backend::Backend& Agent::backend(std::string_view name) {
  auto it = backends_.find(name);
  if (it == backends_.end())
    throw RpcError(Code::invalid_params,
                   "backend \"" + std::string(name) + "\" is not configured in this agent");
  return *it->second;
}

jws::Signer Agent::signer(const KeyRef& key) {
  backend::Backend& b = backend(key.backend);
  std::string id = key.id;
  return [&b, id](ByteView digest) { return b.sign_digest(id, digest); };
}

// Every verifier refuses a profile without device proofs (docs/DECISIONS.md), so the first
// method that loads one from an older agent republishes it. A token found good is remembered:
// the usual call costs no verification.
LocalProfile Agent::require_profile(ProfileNeed need) {
  // Loaded under the lock, so that a copy older than one republished meanwhile never is.
  std::lock_guard guard(profile_mutex_);
  auto profile = home_.load_profile();
  if (!profile)
    throw RpcError(Code::not_found,
                   "this agent has no profile yet: run `recrypt personal ACCOUNT` first");
  if (profile->token == verified_token_) return *profile;
  try {
    (void)service::verify_personal_profile(profile->token);
  } catch (const service::ServiceError& e) {
    log_event("info", std::string("republishing the profile: ") + e.what());
    try {
      publish_profile(*profile);
      home_.save_profile(*profile);
    } catch (const std::exception& failure) {
      if (need == ProfileNeed::signed_token) throw;
      log_event("warning", std::string("the profile could not be republished: ") + failure.what());
      return *profile;
    }
  }
  verified_token_ = profile->token;
  return *profile;
}

const LocalDevice& Agent::signing_device(const LocalProfile& profile) {
  for (const auto& d : profile.devices) {
    auto it = backends_.find(d.backend);
    if (it != backends_.end() && it->second->present()) return d;
  }
  throw RpcError(Code::device_error,
                 "none of this profile's devices is present (plug in the token?)");
}

ServiceDirectory::Lease Agent::service_as_device(const LocalProfile& profile) {
  return service_as_device(profile, profile.service);
}

ServiceDirectory::Lease Agent::service_as_device(const LocalProfile& profile,
                                                 const std::string& url) {
  const LocalDevice& device = signing_device(profile);
  backend::Backend& b = backend(device.backend);
  Point key = Point::generator(Curve::p256());
  for (const auto& k : b.list_keys())
    if (k.id == device.signing_key_id) key = k.public_key;
  return services_.connect(url, signer(KeyRef{device.backend, device.signing_key_id}),
                           udf::key_fingerprint(key));
}

ServiceDirectory::Lease Agent::group_link(const LocalProfile& profile,
                                          const std::string& name_or_id) {
  if (auto g = home_.find_group(name_or_id)) return service_as_device(profile, g->service);
  if (auto joined = memberships_.find(name_or_id))
    return service_as_device(profile, joined->service);
  return service_as_device(profile);
}

Point Agent::device_encryption_key(const LocalDevice& device) {
  for (const auto& k : backend(device.backend).list_keys())
    if (k.id == device.encryption_key_id) return k.public_key;
  throw RpcError(Code::not_found,
                 "device \"" + device.name + "\" has no encryption key in its backend");
}

Json Agent::hello(const Json&) {
  return Json{{"protocol", agent_rpc::kProtocolVersion},
              {"agent", "recrypt-agent"},
              {"version", RECRYPT_VERSION}};
}

Json Agent::list_methods(const Json&) {
  Json out = Json::array();
  for (const auto& m : methods())
    out.push_back(Json{{"name", m.name}, {"summary", m.summary}, {"params", m.params}});
  return out;
}

Json Agent::status(const Json&) {
  Json bs = Json::array();
  for (const auto& [name, b] : backends_) {
    const bool present = b->present();  // first: a token's capabilities are read when found
    auto caps = b->capabilities();
    bs.push_back(Json{{"name", name},
                      {"present", present},
                      {"full_point_ecdh", caps.full_point_ecdh},
                      {"resident_shares", caps.resident_shares},
                      {"sealing", caps.sealing},
                      {"key_auth", backend::key_auth_name(caps.key_auth)}});
  }
  Json out{{"protocol", agent_rpc::kProtocolVersion},
           {"version", RECRYPT_VERSION},
           {"uptime_seconds", std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::steady_clock::now() - started_)
                                  .count()},
           {"home", home_.root().string()},
           {"default_backend", config_.default_backend},
           {"backends", bs}};
  Json confirming = Json::array();
  if (auto p = home_.load_profile()) {
    out["profile"] =
        Json{{"account", p->account}, {"service", p->service}, {"devices", p->devices.size()}};
    for (const auto& d : p->devices)
      if (d.confirm) confirming.push_back(d.name);
  }
  out["confirm"] = Json{{"decrypt", config_.confirm.decrypt},
                        {"admin", config_.confirm.admin},
                        {"ttl_seconds", config_.confirm.ttl.count()},
                        {"devices", confirming}};
  Json groups = Json::array();
  for (const auto& g : home_.load_groups()) groups.push_back(g.name);
  out["administered_groups"] = groups;
  return out;
}

Json Agent::lock(const Json&) {
  pins_.forget_all();
  for (auto& entry : backends_) entry.second->lock();
  return Json{{"locked", true}};
}

// Each key says what unlocks it (auth) and, for a device's keys, whether decrypting with that
// device asks the user first (confirm_decrypt).
Json Agent::keys_list(const Json&) {
  auto profile = home_.load_profile();
  auto device_of = [&profile](const std::string& backend_name,
                              const std::string& id) -> const LocalDevice* {
    if (!profile) return nullptr;
    for (const auto& d : profile->devices)
      if (d.backend == backend_name && (d.encryption_key_id == id || d.signing_key_id == id))
        return &d;
    return nullptr;
  };
  Json out = Json::array();
  for (const auto& [name, b] : backends_) {
    if (!b->present()) continue;
    const backend::KeyAuth default_auth = b->capabilities().key_auth;
    for (const auto& k : b->list_keys()) {
      const char* auth = backend::key_auth_name(k.auth.value_or(default_auth));
      Json key{{"backend", name},
               {"id", k.id},
               {"label", k.label},
               {"purpose", k.purpose == backend::KeyPurpose::encryption ? "encryption" : "signing"},
               {"fingerprint", udf::key_fingerprint(k.public_key)},
               {"resident_share", k.resident_share},
               {"auth", auth}};
      if (const LocalDevice* d = device_of(name, k.id)) {
        key["device"] = d->name;
        key["confirm_decrypt"] = device_confirms(*d);
      }
      out.push_back(std::move(key));
    }
  }
  return out;
}

}  // namespace recrypt::agent
