// What a request would do, told to the user before the agent acts for it: the group as this
// agent resolves it (administered here, or pinned), and every other name as the requesting
// program or the document states it, marked so. Read-only: nothing here asks a device or the
// service, so a prompt costs nothing but the user's attention.
#include <algorithm>

#include "ageplugin/age_stanza.hpp"
#include "ageplugin/recrypt_age.hpp"
#include "agent/agent.hpp"
#include "agent/document_param.hpp"
#include "protocol/jwe.hpp"

namespace recrypt::agent {
namespace {

const std::string kClaimed = " (as the program gives it)";

std::string short_id(const std::string& id) {
  return id.size() > 24 ? id.substr(0, 24) + "..." : id;
}

}  // namespace

std::optional<ConsentRequest> Agent::consent_needed(const MethodInfo& method, const Json& params) {
  if (method.consent == ConsentKind::none || !params.is_object()) return std::nullopt;
  ConsentRequest request{method.consent, method.name, method.summary, {}};
  bool ask = config_.confirm.covers(method.consent);
  auto profile = home_.load_profile();

  // A group as this agent knows it: administered here, else pinned, else only a claim.
  auto resolve_group = [this](const std::string& name, const std::string& claimed_id) {
    if (auto g = home_.find_group(name.empty() ? claimed_id : name))
      return g->name + " (administered by this agent, " + short_id(g->group_id) + ")";
    auto pinned = known_.find(KnownKind::group, name);
    if (pinned && (claimed_id.empty() || *pinned == claimed_id))
      return name + " (pinned, " + short_id(*pinned) + ")";
    if (pinned) return name + " (NOT the key this agent pinned for that name)";
    return name + " (not known to this agent)";
  };

  if (method.consent == ConsentKind::decrypt) {
    // A device marked to confirm asks for every decryption, whichever device ends up used:
    // which one opens the document is known only once the keys have been used.
    if (profile)
      for (const auto& d : profile->devices) ask = ask || d.confirm;
    if (!ask) return std::nullopt;
    if (method.name == "age.unwrap") {
      request.details.emplace_back("Document", "an age file, through age-plugin-recrypt");
      std::string group = "(the stanza's locator does not parse)";
      try {
        auto locator = params.find("locator");
        if (locator != params.end() && locator->is_string()) {
          jwe::Locator where = age::decode_locator(age::base64_decode(locator->get<std::string>()));
          group = "group " + resolve_group(where.group, where.group_id);
        }
      } catch (const std::exception&) {
      }
      request.details.emplace_back("Encrypted to", group);
      return request;
    }
    auto name = params.find("name");
    request.details.emplace_back("Document", name != params.end() && name->is_string()
                                                 ? "\"" + name->get<std::string>() + "\"" + kClaimed
                                                 : "(the program gave no name)");
    try {
      jwe::Envelope parsed = document_param(params).envelope;
      std::vector<std::string> groups;
      for (const auto& recipient : parsed.recipients)
        for (const auto& agreement : recipient.agreements) {
          std::string g = agreement.locator ? "group " + resolve_group(agreement.locator->group,
                                                                       agreement.locator->group_id)
                                            : "a device key";
          if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
        }
      for (const auto& g : groups) request.details.emplace_back("Encrypted to", g);
    } catch (const std::exception&) {
      request.details.emplace_back("Encrypted to", "(the envelope does not parse)");
    }
    return request;
  }

  // Turning a device's confirmation off asks whatever the policy says: otherwise any program
  // could switch it off before decrypting.
  if (method.name == "device.confirm" && profile) {
    auto name = params.find("name");
    auto on = params.find("confirm");
    bool turning_off = on != params.end() && on->is_boolean() && !on->get<bool>();
    for (const auto& d : profile->devices)
      if (turning_off && name != params.end() && name->is_string() && d.name == *name && d.confirm)
        ask = true;
  }
  if (!ask) return std::nullopt;
  for (const auto& [param, meaning] : method.params.items()) {
    auto value = params.find(param);
    if (value == params.end() || value->is_null()) continue;
    std::string text = value->is_string() ? value->get<std::string>() : value->dump();
    if (param == "group")
      request.details.emplace_back("Group", resolve_group(text, ""));
    else if (param == "name" && method.name == "group.create")
      request.details.emplace_back("New group", text + kClaimed);
    else if (param == "name" && method.name == "group.update")
      request.details.emplace_back("New name", text + kClaimed);
    else
      request.details.emplace_back(param, text + kClaimed);
  }
  return request;
}

}  // namespace recrypt::agent
