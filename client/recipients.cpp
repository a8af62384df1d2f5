#include "client/recipients.hpp"

#include "base/error.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::client {

jwe::RecipientKey recipient_from_profile(const std::string& signed_group_profile) {
  service::GroupProfile g = [&] {
    try {
      return service::verify_group_profile(signed_group_profile);
    } catch (const std::exception& e) {
      fail(Errc::malformed, std::string("not a valid signed group profile: ") + e.what());
    }
  }();
  return jwe::RecipientKey{g.encryption_key, g.key_id(), jwe::Locator{g.name, g.id(), g.service}};
}

jwe::RecipientKey group_recipient(AgentClient& agent, const std::string& name) {
  Json r = agent.call("group.recipient", Json{{"group", name}});
  const auto profile = r.find("profile");
  if (profile == r.end() || !profile->is_string())
    fail(Errc::malformed, "the agent's group.recipient answer has no profile");
  return recipient_from_profile(profile->get<std::string>());
}

}  // namespace recrypt::client
