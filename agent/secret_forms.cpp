#include "agent/secret_forms.hpp"

#include "agent/group_keys.hpp"
#include "base/error.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/udf.hpp"
#include "pkcs11/pkcs11_backend.hpp"
#include "tpm/sealed_wrap.hpp"

namespace recrypt::agent {
namespace {

constexpr std::size_t kMaxForm = 16 * 1024;
constexpr std::size_t kMaxFormatName = 64;
constexpr std::size_t kMaxSecretJson = 1024;

std::string jwe_form(const Point& encryption_key, const Scalar& secret) {
  SecretJson jwk = jwk::from_private(secret);
  SecureString text = jwk.dump();
  std::string jwe = jwe::encrypt(as_bytes(std::string_view(text.data(), text.size())),
                                 {{jwe::RecipientKey{encryption_key, {}, std::nullopt}}},
                                 std::string(kAdminSecretType))
                        .serialize();
  return Json{{"format", kAdminSecretJwe}, {"jwe", jwe}}.dump();
}

void require_admin_secret_type(const jwe::Envelope& envelope) {
  auto cty = envelope.protected_header.find("cty");
  if (cty == envelope.protected_header.end() || *cty != kAdminSecretType)
    fail(Errc::malformed, "an administrator's secret is a JWE of content type " +
                              json::quoted(kAdminSecretType) + ", and this one is not");
}

// The device's ECDH opens the JWE; the secret exists in the clear only in this Scalar.
Scalar open_jwe(const std::string& text, const DeviceKeys& device) {
  jwe::Envelope envelope = jwe::Envelope::parse(text);
  require_admin_secret_type(envelope);
  std::optional<SecureBytes> plaintext = open_for_device(envelope, device);
  if (!plaintext)
    fail(Errc::decrypt_failed, "the administrator's secret is not for device " + device.name);
  SecretJson secret = json::parse_secret(as_chars(*plaintext), kMaxSecretJson, "admin secret");
  return jwk::to_private(secret);
}

}  // namespace

std::string wrap_secret_for_device(const service::Device& device, std::string_view label,
                                   const Scalar& secret) {
  // The one place that picks a device's form. A TPM (by its storage parent) and a token (by
  // its encryption key) import a sealed form, so the secret is never in the clear on their
  // host; the soft store opens a JWE and seals what it holds.
  std::optional<backend::WrappedShare> sealed;
  if (device.backend == "tpm" && device.tpm_parent)
    sealed = tpm::wrap_secret_for_tpm(tpm::TpmParentPublic{*device.tpm_parent}, label,
                                      secret.to_bytes());
  else if (device.backend == "pkcs11")
    sealed = pkcs11::wrap_secret_for_pkcs11(device.encryption_key, label, secret.to_bytes());
  if (!sealed) return jwe_form(device.encryption_key, secret);
  return Json{{"format", sealed->format}, {"data", base64url::encode(sealed->data)}}.dump();
}

SealedGroupKey receive_secret_form(const std::string& form, const DeviceKeys& device,
                                   std::string_view backend_name, const std::string& label,
                                   const Point& expected) {
  constexpr std::string_view what = "admin secret form";
  Json doc = json::parse(form, kMaxForm, what);
  json::require_object(doc, what);
  const std::string& format = json::string_field(doc, "format", what);
  const std::string key_id = udf::key_fingerprint(expected);
  backend::Backend& b = *device.backend;
  if (format == kAdminSecretJwe) {
    Scalar secret = open_jwe(json::string_field(doc, "jwe", what), device);
    if (!(secret.public_point() == expected))
      fail(Errc::malformed, "the administrator's secret for " + key_id + " is another key");
    return seal_scalar(b, backend_name, label, key_id, secret);
  }
  if (format.empty() || format.size() > kMaxFormatName)
    fail(Errc::malformed, "admin secret form format name is malformed");
  Bytes data = base64url::decode(json::string_field(doc, "data", what));
  Bytes sealed = b.import_sealed(label, backend::WrappedShare{format, secure_copy(data)});
  SealedGroupKey out{key_id, jwk::from_public(expected), std::string(backend_name),
                     base64url::encode(sealed)};
  unseal_scalar(b, out);  // opens to the expected key, or a device error now rather than later
  return out;
}

std::string admin_package_for(const service::Device& device, const std::string& group_id,
                              const Scalar& group_key, const Scalar* signing_key) {
  Json package{
      {"group_key",
       wrap_secret_for_device(
           device, group_key_label(udf::key_fingerprint(group_key.public_point())), group_key)}};
  if (signing_key != nullptr)
    package["signing_key"] =
        wrap_secret_for_device(device, group_signing_label(group_id), *signing_key);
  return package.dump();
}

std::map<std::string, std::string> admin_keys_for(const service::PersonalProfile& member,
                                                  const std::string& group_id,
                                                  const Scalar& group_key,
                                                  const Scalar* signing_key) {
  std::map<std::string, std::string> out;
  for (const auto& d : member.devices)
    out.emplace(d.encryption_id(), admin_package_for(d, group_id, group_key, signing_key));
  return out;
}

ReceivedAdminKeys receive_admin_package(const std::string& package, const DeviceKeys& device,
                                        std::string_view backend_name,
                                        const service::GroupProfile& group) {
  constexpr std::string_view what = "admin package";
  Json doc = json::parse(package, service::kMaxAdminPackageSize, what);
  json::require_object(doc, what);
  ReceivedAdminKeys out{
      receive_secret_form(json::string_field(doc, "group_key", what), device, backend_name,
                          group_key_label(group.key_id()), group.encryption_key),
      std::nullopt};
  if (const std::string* signing = json::optional_string(doc, "signing_key", what))
    out.signing_key = receive_secret_form(*signing, device, backend_name,
                                          group_signing_label(group.id()), group.signing_key);
  return out;
}

}  // namespace recrypt::agent
