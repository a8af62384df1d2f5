// Opening an envelope: for each recipient this user could read, gather Z for every key
// agreement — from a device key directly, or from the service's partial R plus the member's
// share x (Z = R + x·T) — and let the AES key wrap's integrity check pick the right one.
#include "agent/agent.hpp"
#include "agent/member_combine.hpp"
#include "agent/service_link.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;


Json Agent::document_open(const Json& params) {
  const std::string& text = agent_rpc::param_string(params, "envelope");
  jwe::Envelope envelope = jwe::Envelope::parse(text);
  LocalProfile profile = require_profile();

  std::vector<DeviceKeys> devices;
  for (const auto& d : profile.devices) {
    auto it = backends_.find(d.backend);
    if (it == backends_.end() || !it->second->present()) continue;
    std::optional<Point> enc, sig;
    for (const auto& k : it->second->list_keys()) {
      if (k.id == d.encryption_key_id) enc = k.public_key;
      if (k.id == d.signing_key_id) sig = k.public_key;
    }
    if (!enc || !sig) continue;
    devices.push_back(DeviceKeys{d.name, it->second.get(), d.encryption_key_id, udf::key_fingerprint(*enc),
                                 d.signing_key_id, udf::key_fingerprint(*sig)});
  }
  if (devices.empty()) throw RpcError(Code::device_error, "none of this profile's devices is present (plug in the token?)");

  std::vector<std::string> reasons;
  for (std::size_t index = 0; index < envelope.recipients.size(); ++index) {
    const jwe::Recipient& recipient = envelope.recipients[index];
    if (!recipient.known()) continue;
    for (const DeviceKeys& dev : devices) {
      try {
        std::vector<std::vector<Point>> candidates;
        std::vector<std::string> via;
        for (const auto& agreement : recipient.agreements) {
          if (agreement.kid == dev.encryption_udf) {
            candidates.push_back(ecdh_points(dev.backend->ecdh(dev.encryption_key_id, agreement.epk)));
            via.push_back("device " + dev.name);
            continue;
          }
          if (!agreement.locator) throw RpcError(Code::decrypt_failed, "addressed to a key this agent does not hold");
          const jwe::Locator& where = *agreement.locator;
          // Only the service this user is enrolled with is asked: a document cannot send our
          // signed requests to a server of its choosing.
          if (where.service != profile.service)
            throw RpcError(Code::decrypt_failed, "group " + where.group + " recrypts at " + where.service +
                                                     ", not at this user's service");
          ServiceDirectory::Lease link = services_.connect(
              profile.service, signer(KeyRef{std::string(dev.backend->name()), dev.signing_key_id}), dev.signing_udf);
          auto answer = link->recrypt_data(
              service::RecryptDataRequest{where.group_id, agreement.kid, agreement.epk});
          std::string how;
          candidates.push_back(member_shared_points(dev, agreement.epk, answer, resident_shares_, how));
          via.push_back("group " + where.group + " (" + how + ")");
        }
        SecureBytes cek = jwe::unwrap_candidates(recipient, candidates);
        SecureBytes plaintext = jwe::decrypt_content(envelope, cek);
        Json via_json = via;
        return Json{{"plaintext", base64url::encode(plaintext)}, {"recipient", index}, {"via", via_json},
                    {"device", dev.name}};
      } catch (const RpcError& e) {
        reasons.push_back(e.what());
      } catch (const service::ServiceError& e) {
        reasons.push_back(std::string("service: ") + e.what());
      } catch (const Error& e) {
        reasons.push_back(e.what());
      } catch (const backend::BackendError& e) {
        if (e.code() == backend::BackendErrc::auth_failed || e.code() == backend::BackendErrc::cancelled) throw;
        reasons.push_back(e.what());
      }
    }
  }
  std::string message = "this agent cannot open the document";
  for (const auto& r : reasons) message += "; " + r;
  throw RpcError(Code::decrypt_failed, message, Json{{"reasons", reasons}});
}

}  // namespace recrypt::agent
