#include "agent/open_limits.hpp"

#include <set>

#include "agent/home_services.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/jcd.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {

// `device` acts on a key agreement addressed to its own key, or to a group in the scope.
bool device_can_use(const jwe::Recipient& recipient, const DeviceKeys& device,
                    const RecryptionScope& scope) {
  for (const jwe::KeyAgreement& a : recipient.agreements) {
    if (a.kid == device.encryption_udf) continue;
    if (!a.locator || !scope.service_for(*a.locator)) return false;
  }
  return true;
}

bool addressed_to_a_device(const jwe::KeyAgreement& a, const std::vector<DeviceKeys>& devices) {
  for (const DeviceKeys& d : devices)
    if (a.kid == d.encryption_udf) return true;
  return false;
}

// One recryption: the same group, key and T asked twice is one call (the agent remembers it).
std::string recryption_target(const jwe::KeyAgreement& a) {
  Bytes t = a.epk.to_uncompressed();
  return a.locator->group_id + "|" + a.kid + "|" + std::string(t.begin(), t.end());
}

[[noreturn]] void refuse(std::string message, std::string_view limit, std::size_t count,
                         std::size_t max) {
  throw RpcError(Code::refused, message, Json{{"limit", limit}, {"count", count}, {"max", max}});
}

}  // namespace

std::optional<std::string> RecryptionScope::service_for(const jwe::Locator& locator) const {
  if (same_service(locator.service, own_service)) return own_service;
  for (const Membership& m : joined)
    if (m.group_id == locator.group_id && same_service(m.service, locator.service))
      return m.service;
  return std::nullopt;
}

void require_document_content_type(const jwe::Envelope& envelope) {
  // The protected header only: it is authenticated, and a parameter may not be repeated in the
  // unprotected ones (jwe.hpp), so nothing can add a second "cty" beside it.
  auto cty = envelope.protected_header.find("cty");
  if (cty == envelope.protected_header.end() || !cty->is_string())
    throw RpcError(
        Code::refused,
        "document.open opens documents only, and this envelope has no content type (\"cty\")");
  const std::string& type = cty->get_ref<const std::string&>();
  if (type == jcd::kMetadataType) return;
  // Named as given when short, as every type this project writes is.
  constexpr std::size_t kShownType = 64;
  std::string shown = type.size() <= kShownType ? json::quoted(type)
                                                : "of " + std::to_string(type.size()) + " bytes";
  throw RpcError(Code::refused,
                 "document.open opens documents only (content type " +
                     json::quoted(jcd::kMetadataType) + "), not content of type " + shown,
                 Json{{"cty", type.size() <= kShownType ? Json(type) : Json(nullptr)}});
}

OpenPlan plan_open(const jwe::Envelope& envelope, const std::vector<DeviceKeys>& devices,
                   const RecryptionScope& scope) {
  OpenPlan plan;
  std::size_t examined = 0, not_held = 0, tries = 0;
  std::set<std::string> recryptions;
  for (std::size_t index = 0; index < envelope.recipients.size(); ++index) {
    const jwe::Recipient& recipient = envelope.recipients[index];
    if (!recipient.known()) continue;  // someone else's algorithm
    bool usable = false;
    for (std::size_t d = 0; d < devices.size(); ++d) {
      if (!device_can_use(recipient, devices[d], scope)) continue;
      plan.attempts.push_back(OpenAttempt{index, d});
      usable = true;
    }
    if (!usable) {
      const jwe::KeyAgreement* elsewhere = nullptr;
      for (const jwe::KeyAgreement& a : recipient.agreements)
        if (a.locator && !scope.service_for(*a.locator)) elsewhere = &a;
      if (elsewhere != nullptr && plan.skipped.size() < kMaxRecipientsExamined) {
        const jwe::Locator& l = *elsewhere->locator;
        plan.skipped.push_back("group " + l.group + " recrypts at " + l.service +
                               ", which this agent does not contact: it is not this user's "
                               "service, and " +
                               l.group + " is no group joined there (`recrypt group join " +
                               l.group + "` if you are a member)");
      } else
        ++not_held;
      continue;
    }
    ++examined;
    for (const jwe::KeyAgreement& a : recipient.agreements)
      if (!addressed_to_a_device(a, devices)) recryptions.insert(recryption_target(a));
    tries += std::size_t{1} << recipient.agreements.size();  // 2 candidates a part, at worst
  }
  if (examined > kMaxRecipientsExamined)
    refuse("the document names " + std::to_string(examined) +
               " recipients this agent could open (its devices' keys, groups at its service); at "
               "most " +
               std::to_string(kMaxRecipientsExamined) + " are examined",
           "recipients", examined, kMaxRecipientsExamined);
  if (recryptions.size() > kMaxRecryptions)
    refuse("the document needs " + std::to_string(recryptions.size()) +
               " recryptions at the service (group key agreements); at most " +
               std::to_string(kMaxRecryptions) + " are asked for one document",
           "recryptions", recryptions.size(), kMaxRecryptions);
  if (tries > kMaxUnwrapTries)
    refuse("the document's recipients need up to " + std::to_string(tries) +
               " key unwrap tries; at most " + std::to_string(kMaxUnwrapTries) +
               " are made for one document",
           "unwrap-tries", tries, kMaxUnwrapTries);
  if (not_held > 0)
    plan.skipped.push_back(std::to_string(not_held) +
                           (not_held == 1 ? " recipient is" : " recipients are") +
                           " addressed to keys this agent does not hold");
  return plan;
}

std::string limit_reached(std::string_view what, std::size_t limit) {
  return "stopped: the limit of " + std::to_string(limit) + " " + std::string(what) +
         " for one document was reached";
}

}  // namespace recrypt::agent
