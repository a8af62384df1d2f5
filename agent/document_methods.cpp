// Opening an envelope: for each recipient this user could read, gather Z for every key
// agreement — from a device key directly, or from the service's partial R plus the member's
// share x (Z = R + x·T) — and let the AES key wrap's integrity check pick the right one.
// The work is planned and bounded before it starts (open_limits.hpp), and stops when the
// client that asked for it has gone (client_presence.hpp).
#include <map>
#include <set>

#include "agent/agent.hpp"
#include "agent/client_presence.hpp"
#include "agent/document_param.hpp"
#include "agent/log.hpp"
#include "agent/member_combine.hpp"
#include "agent/open_limits.hpp"
#include "agent/service_link.hpp"
#include "protocol/base64url.hpp"
#include "protocol/document_id.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {

// What one key agreement gave on one device: Z's candidates, or why there are none. Kept for
// the rest of the request, so that a group key agreement repeated in several recipients is
// one service call.
struct Agreed {
  std::vector<Point> candidates;
  std::string via;
  std::string failure;
};

// One agreement's outcome in a RecryptBatch, kept until agree() takes it: what its own
// RecryptData would have answered or refused.
struct Batched {
  std::optional<service::RecryptDataResponse> answer;
  int status = 0;
  std::string description;
  std::uint64_t review_request = 0;
};

std::string slot_of(const DeviceKeys& dev, const jwe::KeyAgreement& agreement) {
  Bytes t = agreement.epk.to_uncompressed();
  return dev.name + "|" + agreement.kid + "|" + std::string(t.begin(), t.end());
}

// Spent so far in one document.open, against the limits of open_limits.hpp.
struct Spent {
  std::size_t recryptions = 0;
  std::size_t unwrap_tries = 0;
};

// Thrown, and caught by document_open, when a limit is reached while opening, and when the
// client has gone: past the per-attempt handlers, which would go on to the next attempt.
struct LimitReached {
  std::string reason;
};
struct ClientLeft {};

void stop_if_client_gone() {
  if (client_gone()) throw ClientLeft{};
}

std::size_t combinations(const std::vector<std::vector<Point>>& candidates) {
  std::size_t n = 1;
  for (const auto& list : candidates) n *= list.size();
  return n;
}

}  // namespace

// This profile's devices whose backend is present and holds both of the device's keys.
std::vector<DeviceKeys> Agent::present_devices(const LocalProfile& profile) {
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
    devices.push_back(DeviceKeys{d.name, it->second.get(), d.encryption_key_id,
                                 udf::key_fingerprint(*enc), d.signing_key_id,
                                 udf::key_fingerprint(*sig)});
  }
  return devices;
}

Json Agent::document_open(const Json& params) {
  DocumentParam document = document_param(params);
  Json opened = open_envelope(document.envelope);
  if (!document.header) return opened;
  // The whole form: the payload too, and the plaintext instead of the payload key, which
  // then never leaves the agent.
  auto& key_b64 = opened["plaintext"].get_ref<std::string&>();
  SecureBytes key_json = base64url::decode_secret(key_b64);
  secure_wipe(key_b64.data(), key_b64.size());
  opened.erase("plaintext");
  jcd::Metadata metadata = jcd::Metadata::from_json(key_json);
  SecureBytes content = open_payload(document, metadata);
  opened["content"] = base64url::encode(content);
  if (metadata.info.name) opened["name"] = *metadata.info.name;
  if (metadata.info.media_type) opened["media_type"] = *metadata.info.media_type;
  if (metadata.info.created) opened["created"] = *metadata.info.created;
  return opened;
}

Json Agent::open_envelope(const jwe::Envelope& envelope) {
  require_document_content_type(envelope);
  LocalProfile profile = require_profile();

  std::vector<DeviceKeys> devices = present_devices(profile);
  if (devices.empty())
    throw RpcError(Code::device_error,
                   "none of this profile's devices is present (plug in the token?)");

  // Stated in every RecryptData, for the group's audit (FORMAT.md §10).
  const std::string document_id = document::document_id(envelope);
  const RecryptionScope scope{profile.service, memberships_.list()};
  OpenPlan plan = plan_open(envelope, devices, scope);
  std::vector<std::string> reasons = plan.skipped;
  // A device that failed (absent, refusing, broken) is the user's to fix, not a refusal: the
  // answer says so (exit 8 in the CLI) rather than "not decryptable by you".
  bool device_failed = false;
  Spent spent;
  std::map<std::string, Agreed> agreed;  // device | kid | T  ->  what it gave
  // Recryptions the service holds for an administrator's review (docs/SERVICE.md §5b):
  // {"group", "request"} each. When nothing else opens the document, the answer says so.
  Json waiting = Json::array();

  // Answers of a RecryptBatch not yet taken by agree(), by slot.
  std::map<std::string, Batched> batched;

  // The service's answer for one agreement: from a batch asked before, or a RecryptData.
  auto recrypt = [&](const DeviceKeys& dev, const jwe::KeyAgreement& agreement,
                     const std::string& slot, const std::string& url) {
    const jwe::Locator& where = *agreement.locator;
    if (auto it = batched.find(slot); it != batched.end()) {
      Batched got = std::move(it->second);
      batched.erase(it);
      if (got.answer) return std::move(*got.answer);
      if (got.status == service::status::kPending)
        throw service::ReviewPending(got.review_request, got.description);
      throw service::ServiceError(got.status, got.description);
    }
    if (spent.recryptions == kMaxRecryptions)
      throw LimitReached{limit_reached("recryption calls", kMaxRecryptions)};
    ++spent.recryptions;
    ServiceDirectory::Lease link = services_.connect(
        url, signer(KeyRef{std::string(dev.backend->name()), dev.signing_key_id}), dev.signing_udf);
    return link->recrypt_data(
        service::RecryptDataRequest{where.group_id, agreement.kid, agreement.epk, document_id});
  };

  // The agreements of `recipient` that `dev` needs from one service, asked in one RecryptBatch
  // per service that offers it (docs/SERVICE.md §4.7b) when there are several: an all-of
  // recipient of three groups is one round trip, not three. Single agreements, and services
  // older than the batch, go the RecryptData way in agree().
  auto ask_together = [&](const DeviceKeys& dev, const jwe::Recipient& recipient) {
    std::map<std::string, std::vector<const jwe::KeyAgreement*>> by_service;
    std::set<std::string> slots;
    for (const auto& agreement : recipient.agreements) {
      if (agreement.kid == dev.encryption_udf || !agreement.locator) continue;
      std::string slot = slot_of(dev, agreement);
      if (agreed.contains(slot) || batched.contains(slot) || !slots.insert(slot).second) continue;
      if (auto url = scope.service_for(*agreement.locator)) by_service[*url].push_back(&agreement);
    }
    for (const auto& [url, list] : by_service) {
      // At the limit, agree() asks what it still may and names the limit.
      if (list.size() < 2 || spent.recryptions + list.size() > kMaxRecryptions) continue;
      service::RecryptBatchRequest req;
      req.document = document_id;
      for (const jwe::KeyAgreement* a : list)
        req.agreements.push_back({a->locator->group_id, a->kid, a->epk});
      bool offered = false;
      try {
        offered = services_.offers(url, service::RecryptBatchRequest::kName);
      } catch (const service::ServiceError&) {
        // A service that cannot be reached is agree()'s to report, agreement by agreement.
      }
      if (!offered) continue;
      std::vector<Batched> got(list.size());
      try {
        spent.recryptions += list.size();
        ServiceDirectory::Lease link = services_.connect(
            url, signer(KeyRef{std::string(dev.backend->name()), dev.signing_key_id}),
            dev.signing_udf);
        service::RecryptBatchResponse answer = link->recrypt_batch(req);
        for (std::size_t i = 0; i < list.size(); ++i) {
          service::RecryptBatchResult& r = answer.results[i];
          got[i] = Batched{std::move(r.answer), r.status, r.description, r.review_request};
        }
      } catch (const service::ServiceError& e) {
        if (e.status() == service::status::kMalformed &&
            e.what() ==
                service::unknown_transaction_description(service::RecryptBatchRequest::kName)) {
          // An instance older than the Hello that offered the batch (a rolling upgrade
          // behind one address): these agreements go the RecryptData way in agree(), and
          // this service is asked for no more batches.
          services_.withdraw(url, service::RecryptBatchRequest::kName);
          spent.recryptions -= list.size();
          continue;
        }
        for (Batched& b : got) b = Batched{std::nullopt, e.status(), e.what(), 0};
      }
      for (std::size_t i = 0; i < list.size(); ++i)
        batched[slot_of(dev, *list[i])] = std::move(got[i]);
    }
  };

  // Z's candidates for one key agreement on one device.
  auto agree = [&](const DeviceKeys& dev, const jwe::KeyAgreement& agreement) -> const Agreed& {
    std::string slot = slot_of(dev, agreement);
    if (auto it = agreed.find(slot); it != agreed.end()) return it->second;
    Agreed out;
    if (agreement.kid == dev.encryption_udf) {
      out.candidates = ecdh_points(dev.backend->ecdh(dev.encryption_key_id, agreement.epk));
      out.via = "device " + dev.name;
      return agreed[slot] = std::move(out);
    }
    // plan_open let through only groups in the scope.
    const jwe::Locator& where = *agreement.locator;
    const std::optional<std::string> url = scope.service_for(where);
    if (!url) {
      out.failure = "group " + where.group + " is at a service this agent does not contact";
      return agreed[slot] = std::move(out);
    }
    try {
      service::RecryptDataResponse answer = recrypt(dev, agreement, slot, *url);
      std::string how;
      out.candidates = member_shared_points(dev, agreement.epk, answer, resident_shares_, how);
      out.via = "group " + where.group + " (" + how + ")";
    } catch (const service::ReviewPending& e) {
      waiting.push_back(Json{{"group", where.group}, {"request", e.request()}});
      out.failure = "group " + where.group + ": the recryption waits for review (request " +
                    std::to_string(e.request()) + ")";
    } catch (const service::ServiceError& e) {
      out.failure = std::string("service: ") + e.what();
    } catch (const Error& e) {
      out.failure = e.what();
    }
    return agreed[slot] = std::move(out);
  };

  try {
    for (const OpenAttempt& attempt : plan.attempts) {
      const jwe::Recipient& recipient = envelope.recipients[attempt.recipient];
      const DeviceKeys& dev = devices[attempt.device];
      try {
        std::vector<std::vector<Point>> candidates;
        std::vector<std::string> via;
        ask_together(dev, recipient);
        for (const auto& agreement : recipient.agreements) {
          stop_if_client_gone();
          const Agreed& got = agree(dev, agreement);
          if (!got.failure.empty()) throw RpcError(Code::decrypt_failed, got.failure);
          candidates.push_back(got.candidates);
          via.push_back(got.via);
        }
        std::size_t tries = combinations(candidates);
        if (spent.unwrap_tries + tries > kMaxUnwrapTries)
          throw LimitReached{limit_reached("key unwrap tries", kMaxUnwrapTries)};
        spent.unwrap_tries += tries;
        SecureBytes cek = jwe::unwrap_candidates(recipient, candidates);
        SecureBytes plaintext = jwe::decrypt_content(envelope, cek);
        Json via_json = via;
        return Json{{"plaintext", base64url::encode(plaintext)},
                    {"recipient", attempt.recipient},
                    {"via", via_json},
                    {"device", dev.name}};
      } catch (const RpcError& e) {
        reasons.push_back(e.what());
      } catch (const Error& e) {
        reasons.push_back(e.what());
      } catch (const backend::BackendError& e) {
        if (ends_the_request(e)) throw;
        device_failed = true;
        reasons.push_back(e.what());
      }
    }
  } catch (const LimitReached& limit) {
    reasons.push_back(limit.reason);
  } catch (const ClientLeft&) {
    log_event("info", "document.open stopped: the client closed its connection (after " +
                          std::to_string(spent.recryptions) + " recryption calls)");
    throw RpcError(Code::refused, "document.open stopped: the client closed its connection");
  }
  if (!waiting.empty()) {
    const Json& first = waiting.front();
    throw RpcError(Code::review_pending,
                   "the recryption waits for review by an administrator of group " +
                       first["group"].get<std::string>() + ": request " +
                       std::to_string(first["request"].get<std::uint64_t>()),
                   Json{{"group", first["group"]},
                        {"request", first["request"]},
                        {"waiting", waiting},
                        {"reasons", reasons}});
  }
  std::string message = "this agent cannot open the document";
  for (const auto& r : reasons) message += "; " + r;
  throw RpcError(device_failed ? Code::device_error : Code::decrypt_failed, message,
                 Json{{"reasons", reasons}});
}

}  // namespace recrypt::agent
