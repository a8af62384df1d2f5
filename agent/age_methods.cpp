// age.unwrap: the file key of one `recrypt` stanza of an age file (docs/AGE_PLUGIN.md), for
// age-plugin-recrypt. The same road as document.open for one group key agreement: the group's
// service (in this agent's RecryptionScope only) gives R = r·T for each present device, the
// device's share gives x·T, and AES key wrap's integrity check picks Z = R + x·T among the
// candidates. The answer is the file key: a secret, like document.open's plaintext.
#include "ageplugin/age_stanza.hpp"
#include "ageplugin/recrypt_age.hpp"
#include "agent/agent.hpp"
#include "agent/member_combine.hpp"
#include "agent/open_limits.hpp"
#include "agent/service_link.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

Json Agent::age_unwrap(const Json& params) {
  const std::vector<std::string> args{agent_rpc::param_string(params, "kid"),
                                      agent_rpc::param_string(params, "epk"),
                                      agent_rpc::param_string(params, "locator")};
  SecureBytes wrapped = age::base64_decode(agent_rpc::param_string(params, "wrapped"));
  age::RecryptStanza stanza = age::parse_stanza(args, wrapped);
  const jwe::Locator& where = stanza.locator;

  LocalProfile profile = require_profile();
  const RecryptionScope scope{profile.service, memberships_.list()};
  const std::optional<std::string> url = scope.service_for(where);
  if (!url)
    throw RpcError(Code::refused, "group " + where.group + " is at " + where.service +
                                      ", a service this agent does not contact (recrypt group "
                                      "join " +
                                      where.group + " first, if you are a member)");
  std::vector<DeviceKeys> devices = present_devices(profile);
  if (devices.empty())
    throw RpcError(Code::device_error,
                   "none of this profile's devices is present (plug in the token?)");

  std::vector<std::string> reasons;
  bool device_failed = false;
  for (const DeviceKeys& dev : devices) {
    try {
      ServiceDirectory::Lease link = services_.connect(
          *url, signer(KeyRef{std::string(dev.backend->name()), dev.signing_key_id}),
          dev.signing_udf);
      // An age file has no document id the plugin could state: the service's audit keeps the
      // key agreement's own id, which it computes from T.
      auto answer =
          link->recrypt_data(service::RecryptDataRequest{where.group_id, stanza.kid, stanza.epk});
      std::string how;
      for (const Point& z : member_shared_points(dev, stanza.epk, answer, resident_shares_, how))
        if (auto key = age::unwrap_file_key(stanza, z))
          return Json{{"file_key", age::base64_encode(*key)},
                      {"via", "group " + where.group + " (" + how + ")"},
                      {"device", dev.name}};
      reasons.push_back("device " + dev.name + ": the group's key does not open this file key");
    } catch (const service::ReviewPending& e) {
      throw RpcError(Code::review_pending,
                     "the recryption waits for review by an administrator of group " + where.group +
                         ": request " + std::to_string(e.request()),
                     Json{{"group", where.group}, {"request", e.request()}});
    } catch (const service::ServiceError& e) {
      reasons.push_back(std::string("service: ") + e.what());
    } catch (const Error& e) {
      reasons.push_back(e.what());
    } catch (const backend::BackendError& e) {
      if (ends_the_request(e)) throw;
      device_failed = true;
      reasons.push_back(e.what());
    }
  }
  std::string message = "this agent cannot open the age file's recrypt stanza";
  for (const auto& r : reasons) message += "; " + r;
  throw RpcError(device_failed ? Code::device_error : Code::decrypt_failed, message,
                 Json{{"reasons", reasons}});
}

}  // namespace recrypt::agent
