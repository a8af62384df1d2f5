#include "service/client/service_address.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
bool is_domain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    if (!std::all_of(label.begin(), label.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-'; }))
      return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

ServiceAddress parse_url(std::string_view rest, bool tls) {
  ServiceAddress u;
  u.tls = tls;
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') {  // [v6]:port
    auto close = rest.find(']');
    if (close == std::string_view::npos) refuse(status::kMalformed, "service URL has a bad IPv6 address");
    u.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    u.port = rest.rfind(':', 0) == 0 ? rest.substr(1) : "";
  } else {
    auto colon = rest.rfind(':');
    u.host = rest.substr(0, colon);
    u.port = colon == std::string_view::npos ? "" : rest.substr(colon + 1);
  }
  if (u.host.empty()) refuse(status::kMalformed, "service URL has no host");
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  return u;
}

}  // namespace

ServiceAddress parse_service_address(const std::string& address) {
  std::string_view a = address;
  if (a.rfind("http://", 0) == 0) return parse_url(a.substr(7), false);
  if (a.rfind("https://", 0) == 0) return parse_url(a.substr(8), true);
  if (a.find("://") != std::string_view::npos)
    refuse(status::kMalformed, "service URL must start with http:// or https://");
  if (!is_domain(a))
    refuse(status::kMalformed, "a service is an http:// or https:// URL, or a domain name to look up");
  // All-digit labels are an IPv4 address, which has no SRV records: it needs a URL.
  auto digit_or_dot = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.'; };
  if (std::all_of(a.begin(), a.end(), digit_or_dot))
    refuse(status::kMalformed,
           "an IP address is not a domain to look up; give a URL, e.g. http://" + address + ":8642");
  ServiceAddress d;
  d.tls = true;
  d.discover = true;
  d.host = address;
  return d;
}

}  // namespace recrypt::service
