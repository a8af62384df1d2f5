// How an administered group's secrets (the group key a, the group's signing key) travel from
// one administrator's agent to a co-administrator's device, and become a seal of that device's
// backend there. A form is a small JSON text, one per device and secret:
//   {"format":"jwe","jwe":JWE}       the secret as a private JWK, a JWE to the device's
//                                    encryption key (protected "cty": kAdminSecretType); the
//                                    receiving agent opens it with one device ECDH and seals it
//   {"format":F,"data":BASE64URL}    a blob only the device's backend opens, handed to
//                                    Backend::import_sealed (F names the construction: a TPM
//                                    duplication blob, docs/TPM.md; a PKCS#11 form, docs/PKCS11.md)
// The second never has the secret in the clear on the receiving host.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "agent/home.hpp"
#include "agent/member_combine.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::agent {

// The protected "cty" of an admin secret's JWE. Checked both ways: a secret is opened only from
// a JWE of this type, and document.open opens documents only.
inline constexpr std::string_view kAdminSecretType = "recrypt-admin-secret+jwk";
inline constexpr std::string_view kAdminSecretJwe = "jwe";

// Sending side: `secret` in the best form `device` can hold, to be sealed there under `label`.
std::string wrap_secret_for_device(const service::Device& device, std::string_view label,
                                   const Scalar& secret);

// Receiving side: `form`, addressed to `device` (configured in the agent as `backend_name`),
// made into a seal of the device's backend under `label`. The secret must be the one whose
// public key is `expected` (what the verified group profile names): a form that opens to
// another key is refused. The result is filed under the UDF of `expected`.
SealedGroupKey receive_secret_form(const std::string& form, const DeviceKeys& device,
                                   std::string_view backend_name, const std::string& label,
                                   const Point& expected);

// An administrator's package for one device: {"group_key": form, "signing_key": form}, the
// current group key and the group's signing key. "signing_key" is absent for a group made
// before co-administrators, whose signing key never leaves the backend that made it.
std::string admin_package_for(const service::Device& device, const std::string& group_id,
                              const Scalar& group_key, const Scalar* signing_key);
// The packages of every device of `member`, keyed as MemberEntry::admin_keys is.
std::map<std::string, std::string> admin_keys_for(const service::PersonalProfile& member,
                                                  const std::string& group_id,
                                                  const Scalar& group_key,
                                                  const Scalar* signing_key);

struct ReceivedAdminKeys {
  SealedGroupKey group_key;
  std::optional<SealedGroupKey> signing_key;
};
// Receiving side: a package for `device`, each secret checked against the verified group
// profile `group` (its current encryption key, its signing key) and sealed to the device.
ReceivedAdminKeys receive_admin_package(const std::string& package, const DeviceKeys& device,
                                        std::string_view backend_name,
                                        const service::GroupProfile& group);

}  // namespace recrypt::agent
