// Which recryption service serves a domain: the one an account or a group name
// ("bob@example.net") lives at. A domain configured with --service-for DOMAIN=URL is served
// there; the domain of this user's own account by the service of their profile; any other by
// the service its DNS SRV records name (`_recrypt._tcp.DOMAIN`), which the service client
// finds when given the bare domain, with TLS checked against that domain.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace recrypt::agent {

// The part after the last '@', in lower case; "" when there is none (a fingerprint).
std::string domain_of(std::string_view account_or_group);

// Whether two service addresses name the same service: the same audience
// (service::audience_of). An address the client would refuse names none.
bool same_service(const std::string& a, const std::string& b);

class HomeServices {
 public:
  // `configured`: domain -> service URL, from --service-for.
  explicit HomeServices(std::map<std::string, std::string> configured = {});

  // "DOMAIN=URL" as --service-for takes it; Error(malformed) for anything else.
  static std::pair<std::string, std::string> parse_mapping(const std::string& text);

  // The service of `domain`. `own_account` and `own_service` are this user's profile's (empty
  // without one).
  std::string service_of_domain(const std::string& domain, const std::string& own_account,
                                const std::string& own_service) const;

 private:
  std::map<std::string, std::string> configured_;
};

}  // namespace recrypt::agent
