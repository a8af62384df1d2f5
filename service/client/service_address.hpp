// Where a recryption service is: a URL (http://host:port, https://host[:port]) used as it
// is, or a bare domain ("example.com") whose service is found through DNS SRV records
// (_recrypt._tcp.example.com, see srv.hpp) and always spoken to over TLS, with the
// certificate checked against that domain. And what that service must call itself (its
// audience), which follows from the address alone, never from the service's own word.
//
// An address may also list several instances of one service, separated by commas and no
// spaces: "https://r1.example.com,https://r2.example.com:8443". Each entry follows the rules
// below; the FIRST names the service (its audience, which every instance is run with), and the
// client tries the others when one does not answer (client.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace recrypt::service {

struct ServiceAddress {
  bool tls = false;
  bool discover = false;  // host is a domain to look up, port is empty
  std::string host;       // also the name the TLS certificate must carry; IPv6 without brackets
  std::string port;
};

// 127.0.0.0/8, ::1 and "localhost": plain HTTP to these never leaves the machine.
bool is_loopback_host(std::string_view host);

// Throws ServiceError 400 for anything but the forms above, and for a plain http:// URL whose
// host is not loopback: signed requests and recrypted shares do not cross a network in clear.
// For a list, every entry is checked and the first is returned: the one that names the service.
ServiceAddress parse_service_address(const std::string& address);

// Every entry of an address, in its order (one for an address that lists no others). Throws
// ServiceError 400 as parse_service_address does, naming the entry, and for an empty entry.
std::vector<ServiceAddress> parse_service_addresses(const std::string& address);

// The audience ("aud") a service at `address` must expect in request signatures and name in
// its Hello: the address's origin (RFC 6454), scheme://host[:port] with the host in lower
// case (IPv6 in brackets, in its canonical form) and the port left out when it is the scheme's
// default. A domain found through DNS SRV is https://DOMAIN, since TLS proves that domain and
// nothing about the SRV target. recryptd's default audience is this function of its listen
// address, so a client and a service on the same URL agree without configuration.
std::string audience_of(const ServiceAddress& address);

// Refuses (ServiceError 503) a service whose Hello calls it `claimed` when `address` says it
// must be audience_of(address): the service is not the one the user configured, or its
// operator has to set recryptd --audience to that value.
void require_audience(const std::string& address, const std::string& claimed);

}  // namespace recrypt::service
