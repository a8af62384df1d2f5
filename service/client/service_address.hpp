// Where a recryption service is: a URL (http://host:port, https://host[:port]) used as it
// is, or a bare domain ("example.com") whose service is found through DNS SRV records
// (_recrypt._tcp.example.com, see srv.hpp) and always spoken to over TLS, with the
// certificate checked against that domain.
#pragma once

#include <string>

namespace recrypt::service {

struct ServiceAddress {
  bool tls = false;
  bool discover = false;  // host is a domain to look up, port is empty
  std::string host;       // also the name the TLS certificate must carry
  std::string port;
};

// Throws ServiceError 400 for anything else.
ServiceAddress parse_service_address(const std::string& address);

}  // namespace recrypt::service
