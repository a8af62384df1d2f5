// Finding a service by its domain: the address forms, RFC 2782's order, and DNS SRV lookups
// answered by a real DNS server (dnsmasq on a loopback port) leading a real client to a real
// recryptd over TLS.
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

#include "base/child_process.hpp"
#include "base/error.hpp"
#include "service/client/service_address.hpp"
#include "service/client/srv.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::SrvRecord;

std::uint16_t free_port(int type) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// dnsmasq answering only for the names it is given, on a loopback port of its own. The port
// is picked free for UDP; dnsmasq also needs it for TCP, where another test may hold it, so a
// start that fails is tried again on another port.
class Dnsmasq {
 public:
  explicit Dnsmasq(std::vector<std::string> records) : records_(std::move(records)) {
    for (int attempt = 0; attempt < 5 && !started_; ++attempt) started_ = start();
  }
  ~Dnsmasq() { stop(); }

  bool started() const { return started_; }
  std::uint16_t port() const { return port_; }

  service::SrvOptions options() const {
    service::SrvOptions o;
    o.timeout = std::chrono::seconds(3);
    o.nameserver = "127.0.0.1";
    o.nameserver_port = port_;
    return o;
  }

 private:
  bool start() {
    port_ = free_port(SOCK_DGRAM);
    std::vector<std::string> args{"/usr/sbin/dnsmasq", "--keep-in-foreground",
                                  "--conf-file=/dev/null", "--pid-file=", "--no-resolv",
                                  "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                                  "--port=" + std::to_string(port_),
                                  // Names under these are answered here, NXDOMAIN when unknown.
                                  "--local=/test/", "--local=/localhost/"};
    args.insert(args.end(), records_.begin(), records_.end());
    ChildOptions quiet;
    quiet.out = Redirect::null();
    quiet.err = Redirect::null();
    process_ = ChildProcess(args, quiet);
    // Ready once it answers a query (NXDOMAIN for this name).
    for (int i = 0; i < 100; ++i) {
      if (process_.try_wait()) return false;
      try {
        service::SrvOptions o = options();
        o.timeout = std::chrono::seconds(1);
        service::lookup_srv("_probe._tcp.nothing.test", o);
        return true;
      } catch (const service::ServiceError&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
    stop();
    return false;
  }

  void stop() {
    process_.kill(SIGTERM);
    process_.wait();
  }

  std::vector<std::string> records_;
  std::uint16_t port_ = 0;
  ChildProcess process_;
  bool started_ = false;
};

TEST(ServiceAddressTest, UrlsAreUsedAsTheyAre) {
  auto a = service::parse_service_address("https://svc.example.com:8443/ignored");
  EXPECT_TRUE(a.tls);
  EXPECT_FALSE(a.discover);
  EXPECT_EQ(a.host, "svc.example.com");
  EXPECT_EQ(a.port, "8443");
  auto b = service::parse_service_address("http://[::1]:8080");
  EXPECT_EQ(b.host, "::1");
  EXPECT_EQ(b.port, "8080");
  EXPECT_EQ(service::parse_service_address("https://example.com").port, "443");
}

TEST(ServiceAddressTest, ADomainIsDiscoveredOverTls) {
  auto a = service::parse_service_address("mail.example.com");
  EXPECT_TRUE(a.discover);
  EXPECT_TRUE(a.tls);
  EXPECT_EQ(a.host, "mail.example.com");
  EXPECT_TRUE(a.port.empty());
}

TEST(ServiceAddressTest, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "ftp://example.com", "example.com:8080", "exa mple.com", "-example.com", "example-.com",
        "example..com", ".example.com", "example.com.", "ex_ample.com", "127.0.0.1"}) {
    EXPECT_EQ(status_of([&] { service::parse_service_address(bad); }), 400) << bad;
  }
  EXPECT_EQ(status_of([&] { service::parse_service_address(std::string(64, 'a') + ".com"); }), 400);
  // A URL's host is a name or an address, and its port a number a TCP port can be.
  for (const char* bad :
       {"http://127.0.0.1@example.com:80", "https://exa mple.com", "https://[::1",
        "https://[nope]:1", "https://[::1]x", "http://127.0.0.1:0", "http://127.0.0.1:65536",
        "http://127.0.0.1:80x", "https://example.com:-1", "https://:443"}) {
    EXPECT_EQ(status_of([&] { service::parse_service_address(bad); }), 400) << bad;
  }
}

TEST(ServiceAddressTest, PlainHttpOnlyToThisMachine) {
  for (const char* local : {"http://127.0.0.1:8642", "http://127.45.6.7:1", "http://[::1]:8080",
                            "http://localhost:80", "http://LocalHost:8080/"}) {
    EXPECT_EQ(status_of([&] { service::parse_service_address(local); }), 201) << local;
  }
  // Anything else over plain HTTP: a name, another address, or names and numbers that only
  // look like loopback (the resolver could take "127.1" or a bare number for 127.0.0.1, but
  // the check does not guess along).
  for (const char* remote : {"http://example.com:8080", "http://10.0.0.1:8642",
                             "http://127.example.com:80", "http://localhost.example.com",
                             "http://[::2]:80", "http://127.1:80", "http://2130706433"}) {
    try {
      service::parse_service_address(remote);
      ADD_FAILURE() << remote << " was accepted";
    } catch (const service::ServiceError& e) {
      EXPECT_EQ(e.status(), 400) << remote;
      EXPECT_NE(std::string(e.what()).find("refusing plain http:// to "), std::string::npos)
          << e.what();
    }
  }
  EXPECT_TRUE(service::is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(service::is_loopback_host("::1"));
  EXPECT_FALSE(service::is_loopback_host("::ffff:10.0.0.1"));
  EXPECT_FALSE(service::is_loopback_host("128.0.0.1"));
}

TEST(ServiceAddressTest, TheAudienceIsTheAddressesOrigin) {
  auto aud = [](const std::string& address) {
    return service::audience_of(service::parse_service_address(address));
  };
  EXPECT_EQ(aud("http://127.0.0.1:8642"), "http://127.0.0.1:8642");
  EXPECT_EQ(aud("http://127.0.0.1:8642/some/path"), "http://127.0.0.1:8642");
  EXPECT_EQ(aud("http://127.0.0.1:08642"), "http://127.0.0.1:8642");
  EXPECT_EQ(aud("http://localhost:80"), "http://localhost");
  EXPECT_EQ(aud("http://[0:0:0:0:0:0:0:1]:8080"), "http://[::1]:8080");
  EXPECT_EQ(aud("https://Recrypt.Example.COM"), "https://recrypt.example.com");
  EXPECT_EQ(aud("https://recrypt.example.com:443/"), "https://recrypt.example.com");
  EXPECT_EQ(aud("https://recrypt.example.com:8443"), "https://recrypt.example.com:8443");
  // A domain is https://DOMAIN, the same audience as the URL of that name: TLS proves the
  // domain, whatever host and port its SRV records name.
  EXPECT_EQ(aud("Example.com"), "https://example.com");
  // What recryptd computes from its listen address.
  EXPECT_EQ(service::audience_of({false, false, "::1", "8642"}), "http://[::1]:8642");
  EXPECT_EQ(service::audience_of({true, false, "127.0.0.1", "443"}), "https://127.0.0.1");
}

TEST(ServiceAddressTest, AServiceMustCallItselfWhatItsAddressSays) {
  EXPECT_EQ(status_of([] {
              service::require_audience("http://127.0.0.1:8642/", "http://127.0.0.1:8642");
            }),
            201);
  EXPECT_EQ(status_of([] { service::require_audience("example.com", "https://example.com"); }),
            201);
  try {
    service::require_audience("example.com", "https://recrypt1.example.com:8443");
    ADD_FAILURE() << "a service calling itself otherwise was accepted";
  } catch (const service::ServiceError& e) {
    EXPECT_EQ(e.status(), 503);
    EXPECT_NE(std::string(e.what()).find(
                  "the service at example.com calls itself https://recrypt1.example.com:8443, "
                  "expected https://example.com"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("--audience https://example.com"), std::string::npos)
        << e.what();
  }
}

// How a call ends: the ServiceError's status and description, or {201, ""} when it answers.
std::pair<int, std::string> refusal_of(const std::function<void()>& call) {
  try {
    call();
    return {201, ""};
  } catch (const service::ServiceError& e) {
    return {e.status(), e.what()};
  }
}

std::vector<std::string> targets(const std::vector<SrvRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.target);
  return out;
}

TEST(SrvOrderTest, LowestPriorityFirstAndWeightsDrawn) {
  std::vector<SrvRecord> records{
      {10, 0, 1, "a"}, {5, 10, 1, "b"}, {5, 30, 1, "c"}, {10, 5, 1, "d"}};
  // The lowest draw takes the first record of the running sum, weight-0 records first.
  EXPECT_EQ(targets(service::order_srv(records, [](std::uint32_t) { return 0u; })),
            (std::vector<std::string>{"b", "c", "a", "d"}));
  // The highest takes the last.
  EXPECT_EQ(targets(service::order_srv(records, [](std::uint32_t n) { return n; })),
            (std::vector<std::string>{"c", "b", "d", "a"}));
}

TEST(SrvOrderTest, WeightsAreProportions) {
  std::vector<SrvRecord> records{{0, 10, 1, "light"}, {0, 30, 1, "heavy"}};
  std::mt19937 rng(7);
  auto draw = [&](std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n)(rng);
  };
  int heavy_first = 0;
  const int kRounds = 4000;
  for (int i = 0; i < kRounds; ++i)
    heavy_first += service::order_srv(records, draw).front().target == "heavy";
  // 30 of 40 (the draw's range is 0..40: 30/41 to 31/41); ±3 % is over 4 standard deviations.
  EXPECT_NEAR(static_cast<double>(heavy_first) / kRounds, 0.74, 0.03);
}

TEST(SrvOrderTest, DotMeansNoService) {
  EXPECT_TRUE(service::order_srv({{0, 0, 0, "."}}, [](std::uint32_t) { return 0u; }).empty());
  EXPECT_EQ(targets(service::order_srv({{0, 0, 0, "."}, {1, 0, 443, "svc"}},
                                       [](std::uint32_t) { return 0u; })),
            std::vector<std::string>{"svc"});
}

TEST(SrvParseTest, GarbageIsAnErrorNotACrash) {
  std::mt19937 rng(1);
  for (int i = 0; i < 2000; ++i) {
    std::vector<unsigned char> junk(rng() % 64);
    for (auto& b : junk) b = static_cast<unsigned char>(rng());
    try {
      service::parse_srv_answer(junk, "_recrypt._tcp.example.test");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::malformed);
    }
  }
  EXPECT_THROW(service::parse_srv_answer({}, "x"), Error);
}

TEST(SrvParseTest, AQueryWithNoAnswerHasNoRecords) {
  unsigned char message[NS_PACKETSZ];
  int n = res_mkquery(ns_o_query, "_recrypt._tcp.example.test", ns_c_in, ns_t_srv, nullptr, 0,
                      nullptr, message, sizeof message);
  ASSERT_GT(n, 0);
  EXPECT_TRUE(service::parse_srv_answer({message, static_cast<std::size_t>(n)},
                                        "_recrypt._tcp.example.test")
                  .empty());
  // Cut short, it no longer parses.
  EXPECT_THROW(service::parse_srv_answer({message, static_cast<std::size_t>(n - 3)}, "x"), Error);
}

class DiscoveryTest : public ::testing::Test {
 protected:
  void start_dns(std::vector<std::string> records) {
    ASSERT_EQ(::access("/usr/sbin/dnsmasq", X_OK), 0)
        << "dnsmasq is needed (scripts/install-deps.sh installs it)";
    dns_ = std::make_unique<Dnsmasq>(std::move(records));
    ASSERT_TRUE(dns_->started()) << "dnsmasq did not start";
  }

  // recryptd over TLS with a certificate for `name`.
  void start_tls_service(const std::string& name) {
    cert_ = server_.dir() / "cert.pem";
    auto key = server_.dir() / "key.pem";
    std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=" +
        name + " -addext subjectAltName=DNS:" + name + " -keyout " + key.string() + " -out " +
        cert_.string() + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    server_.set_args({"--cert", cert_.string(), "--key", key.string()});
    server_.start();
  }

  service::Client client_of(const std::string& address, const std::string& audience,
                            const TestPerson& p) {
    service::ClientOptions options;
    options.timeout = std::chrono::seconds(3);
    options.ca_file = cert_.string();
    options.nameserver = "127.0.0.1";
    options.nameserver_port = dns_->port();
    return service::Client(address, audience, p.profile_signer(), p.id(), options);
  }

  std::unique_ptr<Dnsmasq> dns_;
  RecryptdProcess server_;
  std::filesystem::path cert_;
};

TEST_F(DiscoveryTest, LookupReturnsTheDomainsRecords) {
  start_dns({"--srv-host=_recrypt._tcp.example.test,one.example.test,8443,0,10",
             "--srv-host=_recrypt._tcp.example.test,two.example.test,9443,1,20"});
  auto records = service::lookup_srv("_recrypt._tcp.example.test", dns_->options());
  ASSERT_TRUE(records.has_value());
  std::sort(records->begin(), records->end(),
            [](auto& a, auto& b) { return a.priority < b.priority; });
  EXPECT_EQ(*records, (std::vector<SrvRecord>{{0, 10, 8443, "one.example.test"},
                                              {1, 20, 9443, "two.example.test"}}));
  // Any case of the name is the same name.
  EXPECT_EQ(service::lookup_srv("_RECRYPT._tcp.Example.Test", dns_->options())->size(), 2u);
  EXPECT_FALSE(service::lookup_srv("_recrypt._tcp.other.test", dns_->options()).has_value());
}

TEST_F(DiscoveryTest, AnAliasedNameLeadsToItsTargetsRecords) {
  start_dns({"--srv-host=_recrypt._tcp.example.test,svc.example.test,8443,0,0",
             "--cname=_recrypt._tcp.alias.test,_recrypt._tcp.example.test"});
  auto records = service::lookup_srv("_recrypt._tcp.alias.test", dns_->options());
  ASSERT_TRUE(records.has_value());
  EXPECT_EQ(*records, (std::vector<SrvRecord>{{0, 0, 8443, "svc.example.test"}}));
}

TEST_F(DiscoveryTest, ClientFindsTheServiceAndPassesOverADeadHost) {
  start_tls_service("example.test");
  // The first choice has nothing listening; the second is recryptd.
  std::uint16_t dead = free_port(SOCK_STREAM);
  start_dns({"--srv-host=_recrypt._tcp.example.test,localhost," + std::to_string(dead) + ",0,0",
             "--srv-host=_recrypt._tcp.example.test,localhost," + std::to_string(server_.port()) +
                 ",1,0"});
  auto alice = make_person("alice@example.com");
  auto c = client_of("example.test", server_.url(), *alice);
  EXPECT_EQ(c.hello().audience, server_.url());
  // A signed transaction through the same discovered connection.
  std::string token = alice->token();
  c.publish_profile({token}, alice->profile_signer(), alice->id());
  // The stored profile is the one published.
  EXPECT_EQ(c.get_profile({alice->id(), "", ""}).profile, token);
}

TEST_F(DiscoveryTest, TheCertificateMustNameTheDomainNotTheHost) {
  // DNS is not authenticated: a certificate for the SRV target alone proves nothing about the
  // domain the user asked for.
  start_tls_service("localhost");
  start_dns({"--srv-host=_recrypt._tcp.example.test,localhost," + std::to_string(server_.port()) +
             ",0,0"});
  auto alice = make_person("alice@example.com");
  auto c = client_of("example.test", server_.url(), *alice);
  EXPECT_EQ(status_of([&] { c.hello(); }), 503);
}

TEST_F(DiscoveryTest, ADotTargetSaysThereIsNoService) {
  start_dns({"--srv-host=_recrypt._tcp.example.test"});
  auto alice = make_person("alice@example.com");
  auto c = client_of("example.test", "https://example.test", *alice);
  auto [status, description] = refusal_of([&] { c.hello(); });
  EXPECT_EQ(status, 503);
  EXPECT_NE(description.find("has no recryption service"), std::string::npos) << description;
}

TEST_F(DiscoveryTest, WithoutRecordsTheDomainItselfIsTriedOn443) {
  start_dns({});
  auto alice = make_person("alice@example.com");
  auto c = client_of("localhost", "https://localhost", *alice);
  auto [status, description] = refusal_of([&] { c.hello(); });
  EXPECT_EQ(status, 503);
  EXPECT_NE(description.find("localhost:443"), std::string::npos) << description;
}

}  // namespace
}  // namespace recrypt::test
