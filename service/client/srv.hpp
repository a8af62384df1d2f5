// DNS SRV discovery of a recryption service (RFC 2782): a domain that offers one publishes
// _recrypt._tcp.<domain> SRV records naming the hosts and ports that serve it.
//
// The answer comes off the network and is parsed with libresolv's message functions; a
// malformed answer is an error, never a partial list.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace recrypt::service {

inline constexpr std::string_view kSrvPrefix = "_recrypt._tcp.";

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // without the trailing dot; "." alone means "no service here"

  bool operator==(const SrvRecord&) const = default;
};

// The SRV records of a DNS response to a query for `name`; records of other types and names
// are skipped. Throws recrypt::Error (Errc::malformed) for a message that does not parse.
std::vector<SrvRecord> parse_srv_answer(std::span<const unsigned char> message,
                                        const std::string& name);

// RFC 2782's order: lowest priority first; within a priority, a weighted random draw
// (`draw(n)` returns a number in [0, n]). A lone record whose target is "." means the domain
// says it has no such service: the result is then empty.
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records,
                                 const std::function<std::uint32_t(std::uint32_t)>& draw);

struct SrvOptions {
  std::chrono::milliseconds timeout{10000};
  // Ask this DNS server (an IPv4 address, port 53 unless given) instead of the system's; for
  // tests and for hosts whose resolver configuration is not the one to use.
  std::string nameserver;
  std::uint16_t nameserver_port = 53;
};

// Looks up the SRV records of `name` (e.g. "_recrypt._tcp.example.com"). nullopt when the
// name has none (NXDOMAIN or no SRV data); throws ServiceError 503 when DNS cannot be asked
// or does not answer.
std::optional<std::vector<SrvRecord>> lookup_srv(const std::string& name,
                                                 const SrvOptions& options);

}  // namespace recrypt::service
