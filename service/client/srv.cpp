#include "service/client/srv.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <netdb.h>
#include <resolv.h>
#include <strings.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "base/error.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {
namespace {

std::string without_trailing_dot(std::string name) {
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  return name;
}

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return ::strcasecmp(a.c_str(), b.c_str()) < 0;
  }
};

// Resolvers give up on longer alias chains too; it also bounds the work a hostile answer of
// thousands of CNAME records can ask for.
constexpr int kMaxAliases = 8;

// The owner names whose SRV records answer a query for `name`: the name itself and whatever
// the answer's CNAME records make it an alias of.
std::set<std::string, CaseInsensitiveLess> answering_names(ns_msg& msg, const std::string& name) {
  std::set<std::string, CaseInsensitiveLess> names{without_trailing_dot(name)};
  int count = ns_msg_count(msg, ns_s_an);
  // Each pass follows one more link of the chain, whatever the order of the records.
  for (int pass = 0; pass < kMaxAliases; ++pass) {
    bool grew = false;
    for (int i = 0; i < count; ++i) {
      ns_rr rr;
      if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
        fail(Errc::malformed, "DNS answer: a record does not parse");
      if (ns_rr_type(rr) != ns_t_cname || names.count(ns_rr_name(rr)) == 0) continue;
      char target[NS_MAXDNAME];
      if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), ns_rr_rdata(rr), target,
                             sizeof target) < 0)
        fail(Errc::malformed, "DNS answer: a CNAME target does not parse");
      grew |= names.insert(without_trailing_dot(target)).second;
    }
    if (!grew) break;
  }
  return names;
}

}  // namespace

std::vector<SrvRecord> parse_srv_answer(std::span<const unsigned char> message,
                                        const std::string& name) {
  ns_msg msg;
  if (message.size() > NS_MAXMSG ||
      ns_initparse(message.data(), static_cast<int>(message.size()), &msg) < 0)
    fail(Errc::malformed, "DNS answer does not parse");
  auto names = answering_names(msg, name);
  std::vector<SrvRecord> out;
  for (int i = 0; i < ns_msg_count(msg, ns_s_an); ++i) {
    ns_rr rr;
    if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
      fail(Errc::malformed, "DNS answer: a record does not parse");
    if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in ||
        names.count(ns_rr_name(rr)) == 0)
      continue;
    // priority, weight, port (16 bits each), then the target, possibly compressed.
    if (ns_rr_rdlen(rr) < 7) fail(Errc::malformed, "DNS answer: an SRV record is too short");
    const unsigned char* rdata = ns_rr_rdata(rr);
    SrvRecord r;
    r.priority = static_cast<std::uint16_t>(ns_get16(rdata));
    r.weight = static_cast<std::uint16_t>(ns_get16(rdata + 2));
    r.port = static_cast<std::uint16_t>(ns_get16(rdata + 4));
    char target[NS_MAXDNAME];
    int used =
        ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), rdata + 6, target, sizeof target);
    if (used < 0 || used != ns_rr_rdlen(rr) - 6)
      fail(Errc::malformed, "DNS answer: an SRV target does not parse");
    r.target = without_trailing_dot(target);
    if (r.target.empty()) r.target = ".";
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records,
                                 const std::function<std::uint32_t(std::uint32_t)>& draw) {
  if (records.size() == 1 && records.front().target == ".") return {};
  std::erase_if(records, [](const SrvRecord& r) { return r.target == "."; });
  std::map<std::uint16_t, std::vector<SrvRecord>> by_priority;
  for (auto& r : records) by_priority[r.priority].push_back(std::move(r));
  std::vector<SrvRecord> out;
  for (auto& [priority, group] : by_priority) {
    // Weight-0 records first, so that they are chosen only when their turn's draw is 0.
    std::stable_partition(group.begin(), group.end(),
                          [](const SrvRecord& r) { return r.weight == 0; });
    while (!group.empty()) {
      std::uint32_t total = 0;
      for (const auto& r : group) total += r.weight;
      std::uint32_t pick = draw(total);
      std::uint32_t running = 0;
      auto chosen = group.begin();
      for (auto it = group.begin(); it != group.end(); ++it) {
        running += it->weight;
        if (running >= pick) {
          chosen = it;
          break;
        }
      }
      out.push_back(std::move(*chosen));
      group.erase(chosen);
    }
  }
  return out;
}

std::optional<std::vector<SrvRecord>> lookup_srv(const std::string& name,
                                                 const SrvOptions& options) {
  using ResolverState = struct __res_state;  // `__res_state` alone also names a function
  auto state = std::make_unique<ResolverState>();
  if (res_ninit(state.get()) != 0)
    refuse(status::kUnavailable, "DNS: the resolver cannot be set up");
  struct Closer {
    ResolverState* s;
    ~Closer() { res_nclose(s); }
  } closer{state.get()};
  // libresolv's budget is retrans seconds per try, doubled on each retry, per server.
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count();
  state->retrans = static_cast<int>(std::clamp<std::int64_t>(seconds / 3, 1, 30));
  state->retry = 2;
  if (!options.nameserver.empty()) {
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(options.nameserver_port);
    if (::inet_pton(AF_INET, options.nameserver.c_str(), &server.sin_addr) != 1)
      refuse(status::kMalformed, "DNS server must be an IPv4 address: " + options.nameserver);
    state->nscount = 1;
    state->nsaddr_list[0] = server;
  }
  std::vector<unsigned char> answer(NS_MAXMSG);
  int n = res_nquery(state.get(), name.c_str(), ns_c_in, ns_t_srv, answer.data(),
                     static_cast<int>(answer.size()));
  if (n < 0) {
    if (state->res_h_errno == HOST_NOT_FOUND || state->res_h_errno == NO_DATA) return std::nullopt;
    refuse(status::kUnavailable, "DNS: no answer for " + name + " SRV");
  }
  answer.resize(static_cast<std::size_t>(n));
  std::vector<SrvRecord> records;
  try {
    records = parse_srv_answer(answer, name);
  } catch (const Error& e) {
    refuse(status::kUnavailable, "DNS: " + std::string(e.what()) + " (" + name + " SRV)");
  }
  if (records.empty()) return std::nullopt;
  return records;
}

}  // namespace recrypt::service
