#include "protocol/service/share_form.hpp"

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/json.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"

namespace recrypt::service {
namespace {
constexpr std::size_t kMaxForm = 16 * 1024;
constexpr std::size_t kMaxFormatName = 64;
}  // namespace

void require_wrapped_share_type(const jwe::Envelope& envelope) {
  auto cty = envelope.protected_header.find("cty");
  if (cty == envelope.protected_header.end() || *cty != kWrappedShareType)
    fail(Errc::malformed, "a wrapped share is a JWE of content type " +
                              json::quoted(kWrappedShareType) + ", and this one is not");
}

ShareForm parse_share_form(const std::string& value) {
  Json doc = json::parse(value, kMaxForm, "wrapped share");
  json::require_object(doc, "wrapped share");
  ShareForm form;
  auto resident = doc.find("resident");
  if (resident == doc.end()) {
    jwe::Envelope::parse(value);  // the plain form is the JWE itself
    form.jwe = value;
    return form;
  }
  constexpr std::string_view what = "resident share";
  json::require_object(*resident, what);
  const std::string& format = json::string_field(*resident, "format", what);
  if (format.empty() || format.size() > kMaxFormatName)
    fail(Errc::malformed, "resident share format name is malformed");
  form.resident =
      ResidentShare{format, base64url::decode(json::string_field(*resident, "data", what)),
                    jwk::to_public(json::object_field(*resident, "public", what))};
  if (const std::string* inner = json::optional_string(doc, "jwe", what)) {
    jwe::Envelope::parse(*inner);
    form.jwe = *inner;
  }
  return form;
}

std::string resident_share_form(const ResidentShare& resident,
                                const std::optional<std::string>& jwe) {
  Json form{{"resident",
             {{"format", resident.format},
              {"data", base64url::encode(resident.data)},
              {"public", jwk::from_public(resident.share_public)}}}};
  if (jwe) form["jwe"] = *jwe;
  return form.dump();
}

}  // namespace recrypt::service
