#include "agent/escrow.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>

#include "base/error.hpp"
#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/primitives.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
namespace {

constexpr std::string_view kWhat = "escrow file";
constexpr std::uint64_t kVersion = 1;
constexpr std::size_t kSaltSize = 16;
constexpr std::size_t kCodeBytes = 20;
// A file chooses its own scrypt cost; more than 2^20 (1 GiB of memory) is refused, so that a
// file cannot make the agent spend what it likes.
constexpr std::uint8_t kMaxLogN = 20;
constexpr std::size_t kMaxKeys = 1024;

[[noreturn]] void malformed(const std::string& what) {
  fail(Errc::malformed, std::string(kWhat) + ": " + what);
}

// What scrypt is given: a code without its dashes and spaces, in upper case; a passphrase as
// it is.
SecureString typed_input(const TypedRecovery& params, std::string_view typed) {
  SecureString out;
  for (char c : typed) {
    if (!params.code) {
      out.push_back(c);
    } else if (c != '-' && !std::isspace(static_cast<unsigned char>(c))) {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
  }
  return out;
}

Json recovery_json(const Recovery& recovery) {
  if (const auto* typed = std::get_if<TypedRecovery>(&recovery))
    return Json{{"method", typed->code ? "code" : "passphrase"},
                {"kdf", "scrypt"},
                {"salt", base64url::encode(typed->salt)},
                {"log_n", typed->log_n},
                {"r", typed->r},
                {"p", typed->p}};
  return Json{{"method", "key"}, {"key", std::get<DeviceRecovery>(recovery).key}};
}

Recovery recovery_from_json(const Json& j) {
  json::require_object(j, "escrow recovery");
  const std::string& method = json::string_field(j, "method", "escrow recovery");
  if (method == "key") {
    if (j.size() != 2) malformed("a key recovery has \"method\" and \"key\" only");
    return DeviceRecovery{json::string_field(j, "key", "escrow recovery")};
  }
  if (method != "code" && method != "passphrase")
    fail(Errc::unsupported,
         std::string(kWhat) + ": unknown recovery method " + json::quoted(method));
  if (j.size() != 6) malformed("a typed recovery has method, kdf, salt, log_n, r and p only");
  if (json::string_field(j, "kdf", "escrow recovery") != "scrypt")
    fail(Errc::unsupported, std::string(kWhat) + ": the recovery KDF is not scrypt");
  TypedRecovery t;
  t.code = method == "code";
  t.salt = base64url::decode(json::string_field(j, "salt", "escrow recovery"));
  std::uint64_t log_n = json::uint_field(j, "log_n", "escrow recovery");
  std::uint64_t r = json::uint_field(j, "r", "escrow recovery");
  std::uint64_t p = json::uint_field(j, "p", "escrow recovery");
  if (t.salt.size() < kSaltSize || t.salt.size() > 64) malformed("the salt has the wrong length");
  if (log_n < 10 || log_n > kMaxLogN || r == 0 || r > 32 || p == 0 || p > 4)
    malformed("the scrypt cost is out of range (log_n 10 to 20, r 1 to 32, p 1 to 4)");
  t.log_n = static_cast<std::uint8_t>(log_n);
  t.r = static_cast<std::uint32_t>(r);
  t.p = static_cast<std::uint32_t>(p);
  return t;
}

SecretJson private_jwk(const Scalar& key) { return jwk::from_private(key); }

EscrowSecrets checked_secrets(const EscrowFile& file, ByteView plaintext) {
  SecretJson j = json::parse_secret(as_chars(plaintext), kMaxEscrowSize, "escrow contents");
  if (!j.is_object() || j.size() != 3 || !j.contains("profile") || !j.contains("signing_key") ||
      !j.contains("keys") || !j["keys"].is_array())
    malformed("the contents are not {profile, signing_key, keys}");
  const SecureString& token = json::secret_string_field(j, "profile", "escrow contents");
  EscrowSecrets out{std::string(token.data(), token.size()), jwk::to_private(j["signing_key"]), {}};
  service::GroupProfile doc = service::verify_group_profile(out.profile);
  if (doc.id() != file.group_id || doc.name != file.group)
    malformed("it says it is for group " + file.group + " (" + file.group_id +
              ") but holds the profile of " + doc.name + " (" + doc.id() + ")");
  if (!(out.signing_key.public_point() == doc.signing_key))
    malformed("its signing key is not the group's");
  if (j["keys"].empty() || j["keys"].size() > kMaxKeys) malformed("it holds no group key");
  const std::vector<std::string> listed = doc.all_key_ids();
  for (const SecretJson& k : j["keys"]) {
    Scalar key = jwk::to_private(k);
    std::string id = udf::key_fingerprint(key.public_point());
    if (std::find(listed.begin(), listed.end(), id) == listed.end())
      malformed("it holds group key " + id + ", which the group's profile does not list");
    out.keys.push_back(std::move(key));
  }
  return out;
}

jwe::Envelope envelope_of(const EscrowFile& file) {
  jwe::Envelope envelope = jwe::Envelope::parse(file.jwe);
  if (envelope.recipients.size() != 1 || envelope.recipients.front().agreements.size() != 1)
    malformed("its JWE is not for one recovery key");
  auto cty = envelope.protected_header.find("cty");
  if (cty == envelope.protected_header.end() || *cty != kEscrowContentType)
    malformed("its JWE is not of type " + std::string(kEscrowContentType));
  return envelope;
}

}  // namespace

std::string EscrowFile::serialize() const {
  Json out{{"type", kEscrowType},
           {"version", kVersion},
           {"group", group},
           {"group_id", group_id},
           {"recovery", recovery_json(recovery)},
           {"jwe", json::parse(jwe, kMaxEscrowSize, "escrow JWE")}};
  return out.dump(2) + "\n";
}

EscrowFile EscrowFile::parse(std::string_view text) {
  Json j = json::parse(text, kMaxEscrowSize, kWhat);
  json::require_object(j, kWhat);
  if (json::string_field(j, "type", kWhat) != kEscrowType)
    malformed("its type is not " + std::string(kEscrowType));
  if (json::uint_field(j, "version", kWhat) != kVersion)
    fail(Errc::unsupported, std::string(kWhat) + ": unknown version");
  if (j.size() != 6)
    malformed(
        "it has members other than type, version, group, group_id, "
        "recovery and jwe");
  EscrowFile f;
  f.group = json::string_field(j, "group", kWhat);
  f.group_id = json::string_field(j, "group_id", kWhat);
  f.recovery = recovery_from_json(json::object_field(j, "recovery", kWhat));
  f.jwe = json::object_field(j, "jwe", kWhat).dump();
  (void)envelope_of(f);  // a JWE that does not parse is refused before anyone types a code
  return f;
}

SecureString recovery_code() {
  SecureBytes raw(kCodeBytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1)
    fail(Errc::internal, "RAND_bytes failed");
  std::string letters = udf::base32(raw);
  SecureString out;
  for (std::size_t i = 0; i < letters.size(); ++i) {
    if (i > 0 && i % 4 == 0) out.push_back('-');
    out.push_back(letters[i]);
  }
  std::fill(letters.begin(), letters.end(), '\0');
  return out;
}

TypedRecovery new_typed_recovery(bool code) {
  TypedRecovery t;
  t.code = code;
  if (code) t.log_n = 14;
  t.salt.resize(kSaltSize);
  if (RAND_bytes(t.salt.data(), static_cast<int>(t.salt.size())) != 1)
    fail(Errc::internal, "RAND_bytes failed");
  return t;
}

Scalar typed_recovery_key(const TypedRecovery& params, std::string_view typed) {
  SecureString input = typed_input(params, typed);
  if (input.empty()) fail(Errc::malformed, "the recovery code or passphrase is empty");
  // Two candidates from one scrypt: the first half is a valid P-256 scalar but for a chance of
  // about 2^-32; the second is used then.
  SecureBytes out =
      recrypt::scrypt(as_bytes(std::string_view(input.data(), input.size())), params.salt,
                      std::uint64_t{1} << params.log_n, params.r, params.p, 64);
  const Curve& curve = Curve::p256();
  try {
    return Scalar::from_bytes(curve, ByteView(out).first(32));
  } catch (const Error&) {
    return Scalar::from_bytes(curve, ByteView(out).subspan(32));
  }
}

EscrowFile seal_escrow(const EscrowSecrets& secrets, const Point& recovery_key, Recovery recovery) {
  service::GroupProfile doc = service::verify_group_profile(secrets.profile);
  SecretJson plain = SecretJson::object();
  plain["profile"] = SecureString(secrets.profile.data(), secrets.profile.size());
  plain["signing_key"] = private_jwk(secrets.signing_key);
  plain["keys"] = SecretJson::array();
  for (const Scalar& k : secrets.keys) plain["keys"].push_back(private_jwk(k));
  SecureString text = plain.dump();
  jwe::Envelope envelope = jwe::encrypt(as_bytes(std::string_view(text.data(), text.size())),
                                        {{jwe::RecipientKey{recovery_key, {}, std::nullopt}}},
                                        std::string(kEscrowContentType));
  return EscrowFile{doc.name, doc.id(), std::move(recovery), envelope.serialize()};
}

Point escrow_ephemeral_key(const EscrowFile& file) {
  return envelope_of(file).recipients.front().agreements.front().epk;
}

EscrowSecrets open_escrow(const EscrowFile& file, const std::vector<Point>& shared_candidates) {
  jwe::Envelope envelope = envelope_of(file);
  SecureBytes cek = jwe::unwrap_candidates(envelope.recipients.front(), {shared_candidates});
  return checked_secrets(file, jwe::decrypt_content(envelope, cek));
}

EscrowSecrets open_escrow(const EscrowFile& file, const Scalar& recovery_key) {
  return checked_secrets(file, jwe::open_with_private_key(envelope_of(file), recovery_key));
}

}  // namespace recrypt::agent
