#include "protocol/service/profile.hpp"

#include <ctime>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::service {
namespace {

constexpr std::string_view kWhat = "profile";

// The first line of every proof statement (docs/SERVICE.md §3).
constexpr std::string_view kProofContext = "recrypt device proof v1";

const std::string& bounded_string(const Json& obj, std::string_view key,
                                  std::size_t max = kMaxNameLength) {
  const std::string& s = json::string_field(obj, key, kWhat);
  if (s.empty() || s.size() > max)
    fail(Errc::malformed, "profile field \"" + std::string(key) + "\" is empty or too long");
  return s;
}

Point key_field(const Json& obj, std::string_view key) {
  return jwk::to_public(json::object_field(obj, key, kWhat));
}

// A proof that is not even base64url is refused as one that does not verify, with the
// message that names the device.
Bytes decode_proof(std::string_view text) {
  try {
    return base64url::decode(text);
  } catch (const Error&) {
    return {};
  }
}

Device parse_device(const Json& d) {
  json::require_object(d, "profile device");
  Device device{bounded_string(d, "name"),
                bounded_string(d, "backend", 32),
                key_field(d, "encryption_key"),
                key_field(d, "signing_key"),
                std::nullopt,
                {}};
  if (d.contains("tpm_parent")) device.tpm_parent = key_field(d, "tpm_parent");
  if (const std::string* proof = json::optional_string(d, "proof", kWhat))
    device.proof = decode_proof(*proof);
  return device;
}

std::string sign_payload(const Json& payload, const Point& key, const jws::Signer& signer) {
  Json header{{"kid", udf::key_fingerprint(key)}, {"typ", "recrypt-profile"}};
  return jws::sign_compact(header, as_bytes(payload.dump()), signer);
}

// Checks the self-signature and returns the payload. The key to check with comes from the
// payload itself; what makes that meaningful is that the id is the fingerprint of that key.
Json check_self_signed(std::string_view token, std::string& id) {
  if (token.size() > kMaxProfileSize) refuse(status::kTooLarge, "profile is too large");
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos) fail(Errc::malformed, "profile is not a JWS compact");
  Bytes raw = base64url::decode(token.substr(first + 1, second - first - 1));
  Json payload = json::parse(as_chars(raw), kMaxProfileSize, kWhat);
  json::require_object(payload, kWhat);
  Point key = key_field(payload, "signing_key");
  jws::Verified verified = jws::verify_compact(token, key);
  id = udf::key_fingerprint(key);
  const std::string* kid = json::optional_string(verified.header, "kid", "profile header");
  if (kid == nullptr || *kid != id)
    fail(Errc::malformed, "profile kid is not the id of its signing key");
  return payload;
}

template <class F>
auto as_service_error(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Error& e) {
    refuse(e.code() == Errc::too_large ? status::kTooLarge : status::kMalformed,
           std::string(e.what()));
  }
}

PersonalProfile parse_personal(const Json& p, const std::string& id) {
  PersonalProfile profile{bounded_string(p, "account"),
                          key_field(p, "signing_key"),
                          {},
                          bounded_string(p, "created", 64)};
  const auto& devices = json::array_field(p, "devices", kWhat);
  if (devices.size() > kMaxDevices) fail(Errc::too_large, "profile lists too many devices");
  for (const Json& d : devices) {
    Device device = parse_device(d);
    if (!device.proof_verifies(id))
      fail(Errc::malformed, "device \"" + device.name + "\" of profile " + id +
                                " has no valid proof of possession by its signing key");
    profile.devices.push_back(std::move(device));
  }
  return profile;
}

GroupProfile parse_group(const Json& p) {
  GroupProfile profile{bounded_string(p, "name"),          key_field(p, "signing_key"),
                       key_field(p, "encryption_key"),     {},
                       bounded_string(p, "service", 1024), bounded_string(p, "created", 64)};
  if (p.contains("past_encryption_keys")) {
    const auto& past = json::array_field(p, "past_encryption_keys", kWhat);
    if (past.size() > kMaxPastKeys) fail(Errc::too_large, "group profile lists too many past keys");
    for (const Json& k : past) profile.past_encryption_keys.push_back(jwk::to_public(k));
  }
  return profile;
}

}  // namespace

std::string Device::encryption_id() const { return udf::key_fingerprint(encryption_key); }
std::string Device::signing_id() const { return udf::key_fingerprint(signing_key); }

// One field a line. No field can hold a newline (a UDF is Base32 and dashes), so the fields
// cannot be shifted into one another; and no JWS signing input (base64url and dots) has a
// space or a newline, so a proof can never pass for a signed request, nor a request for a proof.
Bytes Device::proof_statement(std::string_view profile_id) const {
  std::string text = std::string(kProofContext) + "\n" + std::string(profile_id) + "\n" +
                     signing_id() + "\n" + encryption_id() + "\n" +
                     (tpm_parent ? udf::key_fingerprint(*tpm_parent) : "") + "\n";
  return to_bytes(as_bytes(text));
}

void Device::prove(std::string_view profile_id, const jws::Signer& signer) {
  proof = jws::sign_es256(proof_statement(profile_id), signer);
}

bool Device::proof_verifies(std::string_view profile_id) const {
  return jws::verify_es256(signing_key, proof_statement(profile_id), proof);
}

std::string PersonalProfile::id() const { return udf::key_fingerprint(signing_key); }

Json PersonalProfile::payload() const {
  Json devs = Json::array();
  for (const Device& d : devices) {
    Json dj{{"name", d.name},
            {"backend", d.backend},
            {"encryption_key", jwk::from_public(d.encryption_key)},
            {"signing_key", jwk::from_public(d.signing_key)}};
    if (d.tpm_parent) dj["tpm_parent"] = jwk::from_public(*d.tpm_parent);
    if (!d.proof.empty()) dj["proof"] = base64url::encode(d.proof);
    devs.push_back(std::move(dj));
  }
  return Json{{"type", "personal"},
              {"account", account},
              {"signing_key", jwk::from_public(signing_key)},
              {"devices", std::move(devs)},
              {"created", created}};
}

std::string PersonalProfile::sign(const jws::Signer& signer) const {
  return sign_payload(payload(), signing_key, signer);
}

const Device* PersonalProfile::device_by_signing_id(std::string_view udf_id) const {
  for (const Device& d : devices)
    if (d.signing_id() == udf_id) return &d;
  return nullptr;
}

std::string GroupProfile::id() const { return udf::key_fingerprint(signing_key); }
std::string GroupProfile::key_id() const { return udf::key_fingerprint(encryption_key); }

std::vector<std::string> GroupProfile::all_key_ids() const {
  std::vector<std::string> ids{key_id()};
  for (const Point& p : past_encryption_keys) ids.push_back(udf::key_fingerprint(p));
  return ids;
}

Json GroupProfile::payload() const {
  Json past = Json::array();
  for (const Point& p : past_encryption_keys) past.push_back(jwk::from_public(p));
  return Json{{"type", "group"},
              {"name", name},
              {"signing_key", jwk::from_public(signing_key)},
              {"encryption_key", jwk::from_public(encryption_key)},
              {"past_encryption_keys", std::move(past)},
              {"service", service},
              {"created", created}};
}

std::string GroupProfile::sign(const jws::Signer& signer) const {
  return sign_payload(payload(), signing_key, signer);
}

const std::string& VerifiedProfile::name() const {
  return type == ProfileType::personal ? personal->account : group->name;
}

VerifiedProfile verify_profile(std::string_view token) {
  return as_service_error([&] {
    VerifiedProfile out{ProfileType::personal, std::string(token), std::nullopt, std::nullopt, {}};
    Json payload = check_self_signed(token, out.id_);
    const std::string& type = json::string_field(payload, "type", kWhat);
    if (type == "personal") {
      out.personal = parse_personal(payload, out.id_);
    } else if (type == "group") {
      out.type = ProfileType::group;
      out.group = parse_group(payload);
    } else {
      fail(Errc::malformed, "profile type must be \"personal\" or \"group\"");
    }
    return out;
  });
}

PersonalProfile verify_personal_profile(std::string_view token) {
  VerifiedProfile p = verify_profile(token);
  if (p.type != ProfileType::personal)
    refuse(status::kMalformed, "a personal profile is required here");
  return std::move(*p.personal);
}

GroupProfile verify_group_profile(std::string_view token) {
  VerifiedProfile p = verify_profile(token);
  if (p.type != ProfileType::group) refuse(status::kMalformed, "a group profile is required here");
  return std::move(*p.group);
}

std::string rfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string rfc3339_now() { return rfc3339(std::time(nullptr)); }

}  // namespace recrypt::service
