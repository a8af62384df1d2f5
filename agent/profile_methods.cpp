// The user's own identity: the personal profile and its devices.
#include "agent/agent.hpp"
#include "agent/log.hpp"
#include "agent/home_services.hpp"
#include "agent/service_link.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/udf.hpp"
#include "tpm/tpm_backend.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {

Json device_json(const LocalDevice& d) {
  return Json{{"name", d.name},
              {"backend", d.backend},
              {"encryption_key", d.encryption_key_id},
              {"signing_key", d.signing_key_id},
              {"confirm", d.confirm}};
}

// A key given by the user (made with a card's own tool, say) is adopted; otherwise the backend
// makes one.
backend::KeyInfo device_key(backend::Backend& b, const std::optional<std::string>& adopt,
                            const std::string& label, backend::KeyPurpose purpose) {
  return adopt ? b.adopt_key(*adopt, purpose) : b.generate_key(label, purpose);
}

// The keys named in a profile.create or device.add request, each optional.
struct KeyChoice {
  std::optional<std::string> encryption, signing, profile;
};

KeyChoice key_choice(const Json& params) {
  return KeyChoice{agent_rpc::param_optional_string(params, "encryption_key"),
                   agent_rpc::param_optional_string(params, "signing_key"),
                   agent_rpc::param_optional_string(params, "profile_key")};
}

// The encryption key comes first: it needs the most of a device (ECDH), so a token that cannot
// be a device is refused before any other key is made on it.
LocalDevice make_device(backend::Backend& b, const std::string& name, const KeyChoice& keys) {
  auto enc = device_key(b, keys.encryption, name + ":encryption", backend::KeyPurpose::encryption);
  auto sig = device_key(b, keys.signing, name + ":signing", backend::KeyPurpose::signing);
  if (enc.id == sig.id)
    throw RpcError(Code::invalid_params, "a device's encryption and signing keys must differ");
  return LocalDevice{name, std::string(b.name()), enc.id, sig.id};
}

}  // namespace

// Signs the profile as it stands now and publishes it; the service accepts it because the
// request is signed by the profile key itself. Each device proves possession of its signing
// key once: a proof covers only the profile id and the device's keys, so one in the last
// published profile still holds, and a device (a token that may want its PIN) is asked to
// sign only when it joins, or when the last profile had no proofs yet.
std::string Agent::publish_profile(LocalProfile& profile) {
  backend::Backend& pb = backend(profile.signing_key.backend);
  std::optional<Point> profile_key;
  std::map<std::string, Point> keys;
  for (const auto& [name, b] : backends_) {
    if (!b->present()) continue;
    for (const auto& k : b->list_keys()) keys.emplace(name + "/" + k.id, k.public_key);
  }
  auto key_of = [&](const std::string& backend_name, const std::string& id) {
    auto it = keys.find(backend_name + "/" + id);
    if (it == keys.end())
      throw RpcError(Code::device_error,
                     "key " + id + " of backend " + backend_name + " is not available");
    return it->second;
  };
  std::optional<service::PersonalProfile> published;
  try {
    published = service::verify_personal_profile(profile.token);
  } catch (const service::ServiceError&) {
    // None yet, or one from before device proofs: every device signs afresh.
  }
  service::PersonalProfile doc{profile.account,
                               key_of(profile.signing_key.backend, profile.signing_key.id),
                               {},
                               service::rfc3339_now()};
  for (const auto& d : profile.devices) {
    // A TPM device publishes its storage parent, so administrators can send it shares that
    // only this TPM can import.
    std::optional<Point> tpm_parent;
    if (auto* t = dynamic_cast<tpm::TpmBackend*>(&backend(d.backend)))
      tpm_parent = t->parent_public().key;
    service::Device device{d.name,
                           d.backend,
                           key_of(d.backend, d.encryption_key_id),
                           key_of(d.backend, d.signing_key_id),
                           tpm_parent,
                           {}};
    const service::Device* before =
        published ? published->device_by_signing_id(device.signing_id()) : nullptr;
    if (before) device.proof = before->proof;
    if (!device.proof_verifies(doc.id()))
      device.prove(doc.id(), signer(KeyRef{d.backend, d.signing_key_id}));
    doc.devices.push_back(std::move(device));
  }
  (void)pb;
  auto sign = signer(profile.signing_key);
  profile.token = doc.sign(sign);
  ServiceDirectory::Lease link = services_.connect(profile.service, sign, doc.id());
  link->publish_profile(service::PublishProfileRequest{profile.token}, sign, doc.id());
  // The services of groups joined elsewhere know this profile's devices from its copy there: a
  // device added or removed counts there too, now rather than at the next join or rotation.
  // The home service has it already; one that cannot be reached now is told later.
  std::vector<std::string> elsewhere;
  for (const Membership& m : memberships_.list()) {
    bool known = same_service(m.service, profile.service);
    for (const auto& other : elsewhere) known = known || same_service(m.service, other);
    if (!known) elsewhere.push_back(m.service);
  }
  for (const auto& where : elsewhere) {
    try {
      services_.connect(where, sign, doc.id())
          ->publish_profile(service::PublishProfileRequest{profile.token}, sign, doc.id());
    } catch (const service::ServiceError& e) {
      log_event("warning", "the profile was not republished at " + where + ": " + e.what() +
                               " (it will be at the next join, rotation or re-split)");
    }
  }
  return doc.id();
}

Json Agent::profile_create(const Json& params) {
  const std::string& account = agent_rpc::param_string(params, "account");
  const std::string& service_url = agent_rpc::param_string(params, "service");
  std::string backend_name =
      agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
  std::string device_name = agent_rpc::param_optional_string(params, "device").value_or("default");
  if (home_.load_profile()) throw RpcError(Code::conflict, "this agent already has a profile");
  backend::Backend& b = backend(backend_name);
  // The address and the service behind it are checked before any key is made: a plain-HTTP
  // address off this machine fails here without a packet sent.
  services_.check(service_url);

  LocalProfile profile;
  profile.account = account;
  profile.service = service_url;
  const KeyChoice keys = key_choice(params);
  profile.devices.push_back(make_device(b, device_name, keys));
  auto key = device_key(b, keys.profile, "profile:" + account, backend::KeyPurpose::signing);
  const LocalDevice& device = profile.devices.front();
  if (key.id == device.signing_key_id || key.id == device.encryption_key_id)
    throw RpcError(Code::invalid_params, "the profile key must differ from the device's keys");
  profile.signing_key = KeyRef{backend_name, key.id};
  std::string id = publish_profile(profile);
  home_.save_profile(profile);
  return Json{{"id", id},
              {"account", account},
              {"service", service_url},
              {"device", device_json(profile.devices.front())}};
}

Json Agent::profile_show(const Json&) {
  LocalProfile p = require_profile(ProfileNeed::signed_token);
  auto doc = service::verify_personal_profile(p.token);
  // Each device's keys as the signed profile publishes them: what an administrator's agent
  // sees, to compare out of band.
  Json devices = Json::array();
  for (const auto& d : p.devices) {
    Json j = device_json(d);
    for (const auto& published : doc.devices)
      if (published.name == d.name) {
        j["encryption_fingerprint"] = published.encryption_id();
        j["signing_fingerprint"] = published.signing_id();
      }
    devices.push_back(std::move(j));
  }
  return Json{{"id", doc.id()},
              {"account", p.account},
              {"service", p.service},
              {"devices", devices},
              {"profile", p.token}};
}

Json Agent::device_add(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  LocalProfile p = require_profile();
  for (const auto& d : p.devices)
    if (d.name == name) throw RpcError(Code::conflict, "a device named \"" + name + "\" exists");
  std::string backend_name =
      agent_rpc::param_optional_string(params, "backend").value_or(config_.default_backend);
  KeyChoice keys = key_choice(params);
  if (keys.profile) throw RpcError(Code::invalid_params, "device.add takes no profile_key");
  p.devices.push_back(make_device(backend(backend_name), name, keys));
  publish_profile(p);
  home_.save_profile(p);
  return device_json(p.devices.back());
}

Json Agent::device_list(const Json&) {
  LocalProfile p = require_profile();
  Json out = Json::array();
  for (const auto& d : p.devices) {
    Json j = device_json(d);
    backend::Backend& b = backend(d.backend);
    j["present"] = b.present();
    // The device's own key says what unlocks it; keys made before a backend's default changed
    // may differ from that default.
    backend::KeyAuth auth = b.capabilities().key_auth;
    if (j["present"].get<bool>())
      for (const auto& k : b.list_keys())
        if (k.id == d.encryption_key_id && k.auth) auth = *k.auth;
    j["auth"] = backend::key_auth_name(auth);
    j["confirm_decrypt"] = device_confirms(d);
    out.push_back(j);
  }
  return out;
}

Json Agent::device_remove(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  LocalProfile p = require_profile();
  auto it = std::find_if(p.devices.begin(), p.devices.end(),
                         [&](const LocalDevice& d) { return d.name == name; });
  if (it == p.devices.end()) throw RpcError(Code::not_found, "no device named \"" + name + "\"");
  if (p.devices.size() == 1)
    throw RpcError(Code::refused, "cannot remove the last device of a profile");
  p.devices.erase(it);
  publish_profile(p);
  home_.save_profile(p);
  return Json{{"removed", name}};
}

// A local setting: the profile the service holds does not change, so nothing is republished.
Json Agent::device_confirm(const Json& params) {
  const std::string& name = agent_rpc::param_string(params, "name");
  auto on = params.find("confirm");
  if (on == params.end() || !on->is_boolean())
    throw RpcError(Code::invalid_params, "parameter \"confirm\" must be true or false");
  LocalProfile p = require_profile();
  auto it = std::find_if(p.devices.begin(), p.devices.end(),
                         [&](const LocalDevice& d) { return d.name == name; });
  if (it == p.devices.end()) throw RpcError(Code::not_found, "no device named \"" + name + "\"");
  it->confirm = on->get<bool>();
  home_.save_profile(p);
  return Json{{"name", name}, {"confirm", it->confirm}};
}

}  // namespace recrypt::agent
