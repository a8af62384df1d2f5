#include "agent/home_services.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "protocol/service/service_error.hpp"
#include "service/client/service_address.hpp"

namespace recrypt::agent {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}
}  // namespace

std::string domain_of(std::string_view account_or_group) {
  auto at = account_or_group.rfind('@');
  if (at == std::string_view::npos) return {};
  return lower(account_or_group.substr(at + 1));
}

bool same_service(const std::string& a, const std::string& b) {
  if (a == b) return true;
  try {
    return service::audience_of(service::parse_service_address(a)) ==
           service::audience_of(service::parse_service_address(b));
  } catch (const service::ServiceError&) {
    return false;
  }
}

HomeServices::HomeServices(std::map<std::string, std::string> configured) {
  for (auto& [domain, url] : configured) configured_[lower(domain)] = std::move(url);
}

std::pair<std::string, std::string> HomeServices::parse_mapping(const std::string& text) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    fail(Errc::malformed, "--service-for takes DOMAIN=URL, not \"" + text + "\"");
  std::string domain = lower(text.substr(0, eq)), url = text.substr(eq + 1);
  try {
    (void)service::parse_service_address(url);
  } catch (const service::ServiceError& e) {
    fail(Errc::malformed, "--service-for " + domain + ": " + e.what());
  }
  return {domain, url};
}

std::string HomeServices::service_of_domain(const std::string& domain,
                                            const std::string& own_account,
                                            const std::string& own_service) const {
  std::string d = lower(domain);
  if (auto it = configured_.find(d); it != configured_.end()) return it->second;
  if (!own_service.empty() && domain_of(own_account) == d) return own_service;
  return d;  // the service client finds it through DNS SRV
}

}  // namespace recrypt::agent
