// recrypt-agent: the per-user key agent. See recrypt-agent(1) and docs/AGENT_PROTOCOL.md.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "agent/agent.hpp"
#include "agent/backends.hpp"
#include "agent/log.hpp"
#include "protocol/agent/paths.hpp"
#include "agent/socket_server.hpp"

namespace {

// Keeps secrets out of core dumps and away from other processes of the same user that
// might ptrace us, and gives OpenSSL a locked heap for secret scalars.
void harden_process() {
  ::prctl(PR_SET_DUMPABLE, 0);
  ::umask(077);
  if (CRYPTO_secure_malloc_init(1 << 20, 32) != 1)
    recrypt::agent::log_event(
        "warning",
        "no locked memory for secrets (RLIMIT_MEMLOCK too small?); using ordinary memory");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace recrypt::agent;
  // The TSS libraries print every error they meet to stderr, also those of other programs'
  // PKCS#11 modules that p11-kit's proxy loads into us (tpm2-pkcs11 on a host without a TPM:
  // a dozen lines per module start). Our TPM backend reports its errors itself. Whoever wants
  // the TSS's own lines sets TSS2_LOG.
  ::setenv("TSS2_LOG", "all+NONE", 0);
  CLI::App app{
      "recrypt-agent: keeps a user's recrypt keys (soft, TPM 2.0 or PKCS#11) and serves the "
      "recrypt CLI"};
  std::string socket_path = default_socket_path().string();
  std::string home = default_home().string();
  std::string backend = "soft";
  std::string passphrase_file;
  int passphrase_fd = -1;
  std::string pinentry = "pinentry";
  int cache_ttl = 600;
  int service_timeout = 10;
  std::string confirm = "admin";
  int confirm_ttl = 0;
  std::vector<std::string> service_for;
  std::string dns_server;
  std::string ca_file;
  BackendOptions backend_options;
  app.add_option("--socket", socket_path, "Unix socket to listen on")->capture_default_str();
  app.add_option("--home", home, "folder for the profile, groups and soft keys")
      ->capture_default_str();
  app.add_option("--backend", backend, "backend for new keys: soft, tpm or pkcs11")
      ->capture_default_str();
  app.add_option("--passphrase-file", passphrase_file,
                 "read PINs and passphrases from this file (scripts, tests)");
  app.add_option("--passphrase-fd", passphrase_fd,
                 "read the PIN or passphrase once from this file descriptor");
  app.add_option("--pinentry", pinentry, "pinentry program for interactive PIN prompts")
      ->capture_default_str();
  app.add_option("--cache-ttl", cache_ttl,
                 "seconds a PIN and unlocked keys stay cached (0: never cache)")
      ->capture_default_str();
  app.add_option("--service-timeout", service_timeout, "seconds to wait for the recryption service")
      ->capture_default_str();
  app.add_option("--service-for", service_for,
                 "DOMAIN=URL: the recryption service of accounts and groups @DOMAIN, instead of "
                 "its DNS SRV records (repeatable)")
      ->allow_extra_args(false);
  app.add_option("--dns-server", dns_server,
                 "IPv4[:PORT] of the DNS server asked for services' SRV records (default: the "
                 "system's)");
  app.add_option("--ca-file", ca_file,
                 "PEM roots that services' TLS certificates must chain to (default: the system's)");
  app.add_option(
         "--confirm", confirm,
         "requests that ask the user first (pinentry): decrypt, admin, decrypt,admin or none")
      ->capture_default_str();
  app.add_option(
         "--confirm-ttl", confirm_ttl,
         "seconds a confirmation holds for the same program (pid and executable); 0: ask each time")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  add_backend_options(app, backend_options);
  app.set_version_flag("--version", std::string("recrypt-agent ") + RECRYPT_VERSION);
  CLI11_PARSE(app, argc, argv);

  harden_process();
  try {
    ConfirmPolicy confirm_policy;
    parse_confirm_list(confirm, confirm_policy);
    confirm_policy.ttl = std::chrono::seconds(confirm_ttl);
    int inherited = systemd_listen_fd();
    int lock_fd = -1;
    if (inherited < 0) {
      make_socket_folder(socket_folder(socket_path));
      lock_fd = take_instance_lock(socket_path);
      if (lock_fd < 0) {
        std::cerr << "recrypt-agent: another agent is already running on " << socket_path << "\n";
        return 3;
      }
    }
    PinPolicy pin_policy;
    if (!passphrase_file.empty()) pin_policy.passphrase_file = passphrase_file;
    pin_policy.passphrase_fd = passphrase_fd;
    pin_policy.pinentry_program = pinentry;
    pin_policy.cache_ttl = std::chrono::seconds(cache_ttl);
    PinProvider pins(pin_policy);

    AgentConfig config;
    config.home = home;
    config.default_backend = backend;
    config.unlock_ttl = std::chrono::seconds(cache_ttl);
    config.service_timeout = std::chrono::seconds(service_timeout);
    for (const auto& mapping : service_for)
      config.service_for.insert(HomeServices::parse_mapping(mapping));
    config.dns_server = dns_server;
    config.ca_file = ca_file;
    backend_options.cache_ttl = std::chrono::seconds(cache_ttl);
    config.extra_backends = make_backends(backend_options, home, pins.source());
    config.confirm = confirm_policy;
    config.confirmer = [pinentry](const ConfirmPrompt& prompt) {
      return confirm_pinentry(pinentry, prompt);
    };
    Agent agent(std::move(config), pins);

    boost::asio::io_context io;
    SocketServer server(
        io, socket_path, inherited,
        [&agent](const std::string& line, int peer_pid) {
          const Requester requester = identify_requester(peer_pid);
          return agent.handle_line(line, &requester);
        },
        ServerLimits{});
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
      log_event("info", "stopping");
      server.stop();
      io.stop();
    });
    server.start();
    log_event("info", "listening on " + socket_path);
    std::cout << "recrypt-agent listening on " << socket_path << std::endl;
    io.run();
    if (lock_fd >= 0) ::close(lock_fd);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "recrypt-agent: " << e.what() << "\n";
    return 1;
  }
}
