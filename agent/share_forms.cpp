#include "agent/share_forms.hpp"

#include "pkcs11/pkcs11_backend.hpp"
#include "base/error.hpp"
#include "protocol/service/share_form.hpp"
#include "protocol/udf.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::agent {
namespace {

std::string resident(const backend::WrappedShare& blob, const Scalar& share,
                     const std::optional<std::string>& jwe) {
  return service::resident_share_form(
      service::ResidentShare{blob.format, Bytes(blob.data.begin(), blob.data.end()),
                             share.public_point()},
      jwe);
}

}  // namespace

service::MemberEntry member_entry_for(const service::PersonalProfile& member,
                                      service::Privileges privileges, service::MemberStatus status,
                                      const Scalar& group_secret) {
  std::vector<std::pair<std::string, service::ShareWrapper>> devices;
  for (const auto& d : member.devices) {
    Point key = d.encryption_key;
    service::ShareWrapper wrap;
    if (d.backend == "tpm" && d.tpm_parent) {
      tpm::TpmParentPublic parent{*d.tpm_parent};
      wrap = [parent](const Scalar& x) {
        return resident(tpm::wrap_share_for_tpm(parent, x), x, std::nullopt);
      };
    } else if (d.backend == "pkcs11") {
      wrap = [key](const Scalar& x) {
        return resident(pkcs11::wrap_share_for_pkcs11(key, x), x, service::wrap_share(x, key));
      };
    } else {
      wrap = [key](const Scalar& x) { return service::wrap_share(x, key); };
    }
    devices.emplace_back(udf::key_fingerprint(key), std::move(wrap));
  }
  if (devices.empty()) fail(Errc::malformed, "the member's profile lists no device");
  return service::make_member_entry(member.id(), member.account, privileges, status, group_secret,
                                    devices);
}

}  // namespace recrypt::agent
