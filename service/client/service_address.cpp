#include "service/client/service_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>

#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    if (!std::all_of(label.begin(), label.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
        }))
      return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

bool parse_ipv6(const std::string& s, in6_addr& out) {
  return ::inet_pton(AF_INET6, s.c_str(), &out) == 1;
}

// A port as digits, 1 to 65535; returned without leading zeros so that equal ports compare
// equal (audience_of).
std::string parse_port(std::string_view s) {
  bool digits = !s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
  int port = digits ? std::stoi(std::string(s)) : 0;
  if (port < 1 || port > 65535)
    refuse(status::kMalformed, "service URL has a bad port: " + std::string(s));
  return std::to_string(port);
}

ServiceAddress parse_url(std::string_view rest, bool tls) {
  ServiceAddress u;
  u.tls = tls;
  rest = rest.substr(0, rest.find('/'));
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    in6_addr ignored{};
    if (close == std::string_view::npos ||
        !parse_ipv6(std::string(rest.substr(1, close - 1)), ignored))
      refuse(status::kMalformed, "service URL has a bad IPv6 address");
    u.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      refuse(status::kMalformed, "service URL has a bad IPv6 address");
    port = rest.empty() ? rest : rest.substr(1);
  } else {
    auto colon = rest.rfind(':');
    u.host = rest.substr(0, colon);
    port = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    // Only names and dotted addresses: "user@host" and the like would make the host a
    // matter of parser disagreements.
    if (u.host.empty()) refuse(status::kMalformed, "service URL has no host");
    if (!is_domain(u.host))
      refuse(status::kMalformed, "service URL has a bad host name: " + u.host);
  }
  u.host = lower(u.host);
  u.port = port.empty() ? (u.tls ? "443" : "80") : parse_port(port);
  if (!u.tls && !is_loopback_host(u.host))
    refuse(status::kMalformed,
           "refusing plain http:// to " + u.host +
               ": signed requests and recrypted keys would cross the network unprotected; use "
               "https:// (plain HTTP is only for a service on this machine: 127.0.0.1, ::1, "
               "localhost)");
  return u;
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  std::string h(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (parse_ipv6(h, v6)) return IN6_IS_ADDR_LOOPBACK(&v6);
  return lower(h) == "localhost";
}

namespace {

ServiceAddress parse_one(const std::string& address) {
  std::string_view a = address;
  if (a.rfind("http://", 0) == 0) return parse_url(a.substr(7), false);
  if (a.rfind("https://", 0) == 0) return parse_url(a.substr(8), true);
  if (a.find("://") != std::string_view::npos)
    refuse(status::kMalformed, "service URL must start with http:// or https://");
  if (!is_domain(a))
    refuse(status::kMalformed,
           "a service is an http:// or https:// URL, or a domain name to look up");
  // All-digit labels are an IPv4 address, which has no SRV records: it needs a URL.
  auto digit_or_dot = [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
  };
  if (std::all_of(a.begin(), a.end(), digit_or_dot))
    refuse(
        status::kMalformed,
        "an IP address is not a domain to look up; give a URL, e.g. http://" + address + ":8642");
  ServiceAddress d;
  d.tls = true;
  d.discover = true;
  d.host = lower(address);
  return d;
}

}  // namespace

std::vector<ServiceAddress> parse_service_addresses(const std::string& address) {
  if (address.find(',') == std::string::npos) return {parse_one(address)};
  std::vector<ServiceAddress> out;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = address.find(',', start);
    std::string entry = address.substr(start, comma == std::string::npos ? comma : comma - start);
    if (entry.empty())
      refuse(status::kMalformed,
             "a list of service URLs has an empty entry (separate them by commas, no spaces)");
    try {
      out.push_back(parse_one(entry));
    } catch (const ServiceError& e) {
      refuse(e.status(), "service address " + entry + ": " + e.what());
    }
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

ServiceAddress parse_service_address(const std::string& address) {
  return parse_service_addresses(address).front();
}

std::string audience_of(const ServiceAddress& address) {
  std::string host = lower(address.host);
  if (in6_addr v6{}; parse_ipv6(host, v6)) {
    char text[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, &v6, text, sizeof text);
    host = std::string("[") + text + "]";
  }
  const char* default_port = address.tls ? "443" : "80";
  bool show_port = !address.discover && !address.port.empty() && address.port != default_port;
  return (address.tls ? "https://" : "http://") + host + (show_port ? ":" + address.port : "");
}

void require_audience(const std::string& address, const std::string& claimed) {
  std::string expected = audience_of(parse_service_address(address));
  if (claimed == expected) return;
  refuse(status::kUnavailable,
         "the service at " + address + " calls itself " +
             (claimed.empty() ? std::string("nothing") : claimed) + ", expected " + expected +
             ": either it is not the service this address names, or its operator must run "
             "recryptd with --audience " +
             expected);
}

}  // namespace recrypt::service
