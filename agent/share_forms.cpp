#include "agent/share_forms.hpp"

#include "pkcs11/pkcs11_backend.hpp"
#include "protocol/base64url.hpp"
#include "protocol/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/udf.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::agent {
namespace {

constexpr std::size_t kMaxForm = 16 * 1024;

std::string resident_form(const backend::WrappedShare& blob, const Scalar& share, const std::optional<std::string>& jwe) {
  Json form{{"resident", {{"format", blob.format}, {"data", base64url::encode(blob.data)},
                          {"public", jwk::from_public(share.public_point())}}}};
  if (jwe) form["jwe"] = *jwe;
  return form.dump();
}

}  // namespace

service::MemberEntry member_entry_for(const service::PersonalProfile& member, service::Privileges privileges,
                                      service::MemberStatus status, const Scalar& group_secret) {
  std::vector<std::pair<std::string, service::ShareWrapper>> devices;
  for (const auto& d : member.devices) {
    Point key = d.encryption_key;
    service::ShareWrapper wrap;
    if (d.backend == "tpm" && d.tpm_parent) {
      tpm::TpmParentPublic parent{*d.tpm_parent};
      wrap = [parent](const Scalar& x) { return resident_form(tpm::wrap_share_for_tpm(parent, x), x, std::nullopt); };
    } else if (d.backend == "pkcs11") {
      wrap = [key](const Scalar& x) {
        return resident_form(pkcs11::wrap_share_for_pkcs11(key, x), x, service::wrap_share(x, key));
      };
    } else {
      wrap = [key](const Scalar& x) { return service::wrap_share(x, key); };
    }
    devices.emplace_back(udf::key_fingerprint(key), std::move(wrap));
  }
  if (devices.empty()) fail(Errc::malformed, "the member's profile lists no device");
  return service::make_member_entry(member.id(), member.account, privileges, status, group_secret, devices);
}

ShareForm parse_share_form(const std::string& value) {
  Json doc = json::parse(value, kMaxForm, "wrapped share");
  json::require_object(doc, "wrapped share");
  ShareForm form;
  auto resident = doc.find("resident");
  if (resident == doc.end()) {
    form.jwe = value;  // the plain form: the JWE itself
    return form;
  }
  constexpr std::string_view what = "resident share";
  json::require_object(*resident, what);
  form.resident = backend::WrappedShare{json::string_field(*resident, "format", what),
                                        base64url::decode(json::string_field(*resident, "data", what))};
  form.resident_public = jwk::to_public(json::object_field(*resident, "public", what));
  if (const std::string* jwe = json::optional_string(doc, "jwe", what)) form.jwe = *jwe;
  return form;
}

}  // namespace recrypt::agent
