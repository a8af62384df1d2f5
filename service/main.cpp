// recryptd: the recryption service. Parses the command line (or a config file), opens the
// store and the service key, binds, prints "listening on HOST:PORT" and serves until
// SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "service/client/service_address.hpp"
#include "service/key_vault.hpp"
#include "service/request_log.hpp"
#include "service/server.hpp"
#include "service/service.hpp"
#include "service/store.hpp"

namespace {

// 0.0.0.0 or ::, every address of the machine: no name a client could know the service by.
bool is_wildcard(const std::string& host) {
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return v4.s_addr == INADDR_ANY;
  return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_UNSPECIFIED(&v6);
}

// The service key (key_vault.hpp) opens every recryption key at rest: keep it out of core
// dumps and out of reach of other processes of the service's user. Not dumpable also means
// that ptrace by the same user is refused and /proc/PID/mem and friends become root's; no core
// file size covers a crash before PR_SET_DUMPABLE or a dumpable flag reset by an exec. The
// secure heap is a few locked, guarded pages for the key.
void harden_process() {
  ::prctl(PR_SET_DUMPABLE, 0);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  if (CRYPTO_secure_malloc_init(16 * 1024, 32) != 1)
    recrypt::service::log_event("warning",
                                "no locked memory for the service key (RLIMIT_MEMLOCK too small?)");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace recrypt::service;
  CLI::App app{"recryptd: the Mesh/Recrypt recryption service"};
  std::string listen = "127.0.0.1:8642";
  std::string db;
  std::string key_file;
  std::string audience;
  ServerConfig server;
  ServiceConfig service;
  bool insecure = false;
  std::int64_t read_timeout_ms = 10000;
  app.set_config("--config", "", "read options from this TOML/INI file");
  app.add_option("--listen", listen, "address:port to listen on (port 0: any free port)")
      ->capture_default_str();
  app.add_option("--db", db,
                 "SQLite database file, or a PostgreSQL connection URI (postgresql://...)")
      ->required();
  app.add_option("--service-key", key_file,
                 "file of the key that seals recryption keys at rest (default DB.key; required "
                 "with a PostgreSQL URI)");
  app.add_option("--cert", server.cert_file, "TLS certificate chain (PEM)");
  app.add_option("--key", server.key_file, "TLS private key (PEM)");
  app.add_flag("--insecure", insecure, "allow plain HTTP on a non-loopback address");
  app.add_option(
      "--audience", audience,
      "expected \"aud\" of request signatures: the origin of the URL clients use, e.g. "
      "https://recrypt.example.com, or https://example.com for a domain found through DNS SRV "
      "(default: the origin of --listen, http[s]://HOST[:PORT])");
  app.add_option("--max-body", server.max_body, "largest request body in bytes")
      ->capture_default_str();
  app.add_option("--max-connections", server.max_connections, "most simultaneous connections")
      ->capture_default_str();
  app.add_option("--read-timeout-ms", read_timeout_ms, "deadline for receiving a whole request")
      ->capture_default_str();
  app.add_option("--skew", service.skew_seconds, "largest accepted clock difference in seconds")
      ->capture_default_str();
  app.add_option("--threads", server.threads, "I/O threads (0: one per core)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  harden_process();
  try {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--listen must be HOST:PORT");
    server.host = listen.substr(0, colon);
    if (server.host.size() > 2 && server.host.front() == '[')
      server.host = server.host.substr(1, server.host.size() - 2);
    int port = std::stoi(listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::runtime_error("--listen port is out of range");
    server.port = static_cast<std::uint16_t>(port);
    if (server.cert_file.empty() != server.key_file.empty())
      throw std::runtime_error("--cert and --key go together");
    bool tls = !server.cert_file.empty();
    if (!tls && !is_loopback_host(server.host) && !insecure)
      throw std::runtime_error(
          "refusing plain HTTP on a non-loopback address (give --cert/--key, or --insecure)");
    // Clients sign for the audience their URL names and refuse a service that calls itself
    // anything else, so a default made of a wildcard address would be refused by all of them.
    if (audience.empty() && is_wildcard(server.host))
      throw std::runtime_error(
          "listening on " + server.host +
          " needs --audience: the origin of the URL clients use, e.g. https://recrypt.example.com");
    if (server.max_body == 0 || read_timeout_ms <= 0 || service.skew_seconds <= 0)
      throw std::runtime_error("limits must be positive");
    server.read_timeout = std::chrono::milliseconds(read_timeout_ms);
    service.max_body = server.max_body;

    // A URI may carry a password: it is never logged nor echoed in an error.
    if (is_postgres_url(db) && key_file.empty())
      throw std::runtime_error("--db with a PostgreSQL URI needs --service-key");
    std::unique_ptr<Store> store = open_store(db);
    KeyVault vault = KeyVault::open(key_file.empty() ? db + ".key" : key_file);
    store->check_service_key(vault);
    Server http(server);
    http.bind();
    std::string where =
        server.host.find(':') != std::string::npos ? "[" + server.host + "]" : server.host;
    where += ":" + std::to_string(http.port());
    service.audience = audience.empty()
                           ? audience_of({tls, false, server.host, std::to_string(http.port())})
                           : audience;
    Service handler(*store, std::move(vault), service);
    // Tests and supervisors read this line to learn the port.
    std::printf("listening on %s\n", where.c_str());
    std::fflush(stdout);
    log_event("start", "listening on " + where + " audience " + service.audience);
    http.run(handler);
    store->close();
    log_event("stop", "clean shutdown");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "recryptd: %s\n", e.what());
    return 1;
  }
}
