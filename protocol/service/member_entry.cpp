#include "protocol/service/member_entry.hpp"

#include "protocol/service/share_form.hpp"

#include "base/error.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::service {
namespace {

constexpr std::string_view kWhat = "member entry";
constexpr std::size_t kMaxShareJson = 1024;

const std::string& bounded(const Json& j, std::string_view key, std::size_t max) {
  const std::string& s = json::string_field(j, key, kWhat);
  if (s.empty() || s.size() > max)
    fail(Errc::malformed, "member entry field \"" + std::string(key) + "\" is empty or too long");
  return s;
}

}  // namespace

std::string to_string(MemberStatus s) {
  switch (s) {
    case MemberStatus::active:
      return "ACTIVE";
    case MemberStatus::suspended:
      return "SUSPENDED";
    case MemberStatus::revoked:
      return "REVOKED";
  }
  return "REVOKED";
}

MemberStatus parse_status(std::string_view s) {
  if (s == "ACTIVE") return MemberStatus::active;
  if (s == "SUSPENDED") return MemberStatus::suspended;
  if (s == "REVOKED") return MemberStatus::revoked;
  refuse(status::kMalformed, "member status must be ACTIVE, SUSPENDED or REVOKED");
}

Json privileges_to_json(const Privileges& p) {
  Json out = Json::array();
  if (p.recrypt) out.push_back("RECRYPT");
  if (p.admin) out.push_back("ADMIN");
  if (p.super) out.push_back("SUPER");
  return out;
}

Privileges privileges_from_json(const Json& j) {
  if (!j.is_array() || j.size() > 8)
    refuse(status::kMalformed, "privileges must be an array of names");
  Privileges p;
  for (const Json& v : j) {
    if (!v.is_string()) refuse(status::kMalformed, "privileges must be strings");
    const auto& s = v.get_ref<const std::string&>();
    if (s == "RECRYPT")
      p.recrypt = true;
    else if (s == "ADMIN")
      p.admin = true;
    else if (s == "SUPER")
      p.super = true;
    else
      refuse(status::kMalformed, "unknown privilege (RECRYPT, ADMIN, SUPER)");
  }
  return p;
}

SecretJson to_secret_json(const Json& j) {
  SecretJson out = SecretJson::object();
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) fail(Errc::malformed, "private JWK fields must be strings");
    const auto& s = v.get_ref<const std::string&>();
    out[SecureString(k.begin(), k.end())] = SecureString(s.begin(), s.end());
  }
  return out;
}

Json from_secret_json(const SecretJson& j) {
  Json out = Json::object();
  for (const auto& [k, v] : j.items()) {
    const auto& s = v.template get_ref<const SecureString&>();
    out[std::string(k.begin(), k.end())] = std::string(s.begin(), s.end());
  }
  return out;
}

Json MemberEntry::to_json() const {
  Json shares = Json::object();
  for (const auto& [k, v] : wrapped_shares) shares[k] = v;
  Json out{{"member", member},
           {"account", account},
           {"privileges", privileges_to_json(privileges)},
           {"status", to_string(status)},
           {"key_id", key_id},
           {"wrapped_shares", std::move(shares)}};
  if (recryption_key) out["recryption_key"] = from_secret_json(*recryption_key);
  if (!admin_keys.empty()) {
    Json packages = Json::object();
    for (const auto& [k, v] : admin_keys) packages[k] = v;
    out["admin_keys"] = std::move(packages);
  }
  return out;
}

MemberEntry MemberEntry::from_json(const Json& j) {
  try {
    json::require_object(j, kWhat);
    MemberEntry e;
    e.member = bounded(j, "member", 128);
    if (const std::string* a = json::optional_string(j, "account", kWhat)) {
      if (a->size() > kMaxNameLength) fail(Errc::malformed, "member account is too long");
      e.account = *a;
    }
    if (j.contains("privileges")) e.privileges = privileges_from_json(j["privileges"]);
    if (j.contains("status")) e.status = parse_status(json::string_field(j, "status", kWhat));
    if (j.contains("key_id")) e.key_id = bounded(j, "key_id", 128);
    if (j.contains("recryption_key")) {
      const Json& r = json::object_field(j, "recryption_key", kWhat);
      if (r.size() > 8) fail(Errc::malformed, "recryption key has unexpected fields");
      e.recryption_key = to_secret_json(r);
      jwk::to_private(*e.recryption_key);  // checks curve, range and that x, y match d
    }
    if (j.contains("wrapped_shares")) {
      const Json& shares = json::object_field(j, "wrapped_shares", kWhat);
      if (shares.size() > kMaxWrappedShares) fail(Errc::too_large, "too many wrapped shares");
      for (const auto& [device, wrapped] : shares.items()) {
        if (device.empty() || device.size() > 128 || !wrapped.is_string())
          fail(Errc::malformed, "wrapped_shares maps device key ids to wrapped or resident shares");
        const auto& text = wrapped.get_ref<const std::string&>();
        if (text.size() > kMaxWrappedShareSize)
          fail(Errc::too_large, "a wrapped share is too large");
        parse_share_form(text);  // well-formed now, so a device never meets a broken one
        e.wrapped_shares.emplace(device, text);
      }
    }
    if (j.contains("admin_keys")) {
      const Json& packages = json::object_field(j, "admin_keys", kWhat);
      if (packages.size() > kMaxWrappedShares) fail(Errc::too_large, "too many admin packages");
      for (const auto& [device, package] : packages.items()) {
        if (device.empty() || device.size() > 128 || !package.is_string() ||
            package.get_ref<const std::string&>().empty())
          fail(Errc::malformed, "admin_keys maps device key ids to admin packages");
        if (package.get_ref<const std::string&>().size() > kMaxAdminPackageSize)
          fail(Errc::too_large, "an admin package is too large");
        e.admin_keys.emplace(device, package.get<std::string>());
      }
    }
    return e;
  } catch (const Error& err) {
    refuse(err.code() == Errc::too_large ? status::kTooLarge : status::kMalformed, err.what());
  }
}

std::string wrap_share(const Scalar& share, const Point& device_encryption_key) {
  SecretJson jwk = jwk::from_private(share);
  SecureString text = jwk.dump();
  return jwe::encrypt(as_bytes(std::string_view(text.data(), text.size())),
                      {{jwe::RecipientKey{device_encryption_key, {}, std::nullopt}}},
                      std::string(kWrappedShareType))
      .serialize();
}

Scalar unwrap_share(std::string_view wrapped, const Scalar& device_encryption_key) {
  jwe::Envelope env = jwe::Envelope::parse(wrapped);
  require_wrapped_share_type(env);
  SecureBytes plain = jwe::open_with_private_key(env, device_encryption_key);
  SecretJson jwk = json::parse_secret(as_chars(plain), kMaxShareJson, "wrapped share");
  return jwk::to_private(jwk);
}

MemberEntry make_member_entry(const std::string& member, const std::string& account,
                              Privileges privileges, MemberStatus status,
                              const Scalar& group_secret,
                              const std::vector<std::pair<std::string, ShareWrapper>>& devices) {
  recryption::MemberSplit split = recryption::split(group_secret);
  MemberEntry e;
  e.member = member;
  e.account = account;
  e.privileges = privileges;
  e.status = status;
  e.key_id = udf::key_fingerprint(group_secret.public_point());
  e.recryption_key = jwk::from_private(split.recryption_key);
  for (const auto& [device_id, wrap] : devices)
    e.wrapped_shares.emplace(device_id, wrap(split.share));
  return e;
}

MemberEntry make_member_entry(const std::string& member, const std::string& account,
                              Privileges privileges, MemberStatus status,
                              const Scalar& group_secret,
                              const std::vector<Point>& device_encryption_keys) {
  std::vector<std::pair<std::string, ShareWrapper>> devices;
  for (const Point& device : device_encryption_keys)
    devices.emplace_back(udf::key_fingerprint(device),
                         [device](const Scalar& share) { return wrap_share(share, device); });
  return make_member_entry(member, account, privileges, status, group_secret, devices);
}

}  // namespace recrypt::service
