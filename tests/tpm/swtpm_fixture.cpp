#include "tests/tpm/swtpm_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace recrypt::testing {
namespace {

using namespace std::chrono_literals;

bool port_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool port_answers(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A random even port in a range the kernel does not hand out as ephemeral ports by default
// (32768-60999), with its successor free as well (swtpm's control port).
int pick_port_pair() {
  static thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> dist(10000 / 2, 32000 / 2);
  for (int i = 0; i < 200; ++i) {
    const int p = dist(rng) * 2;
    if (port_free(p) && port_free(p + 1)) return p;
  }
  throw std::runtime_error("no free port pair for swtpm");
}

}  // namespace

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool Swtpm::available() { return ::access("/usr/bin/swtpm", X_OK) == 0; }

Swtpm::Swtpm() : state_("recrypt-swtpm") { start(); }

Swtpm::~Swtpm() { stop(); }

std::string Swtpm::tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

void Swtpm::start() {
  if (port_ != 0 && try_start(port_)) return;  // a restart keeps its port when it can
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int p = pick_port_pair();
    if (try_start(p)) {
      port_ = p;
      return;
    }
  }
  throw std::runtime_error("swtpm did not start");
}

bool Swtpm::try_start(int port) {
  const std::string server = "type=tcp,port=" + std::to_string(port) + ",bindaddr=127.0.0.1";
  const std::string ctrl = "type=tcp,port=" + std::to_string(port + 1) + ",bindaddr=127.0.0.1";
  const std::string state = "dir=" + state_.path().string();
  ChildOptions options;
  options.out = Redirect::null();
  options.err = Redirect::null();
  process_ = ChildProcess({"/usr/bin/swtpm", "socket", "--tpm2", "--server", server, "--ctrl", ctrl,
                           "--tpmstate", state, "--flags", "not-need-init,startup-clear"},
                          options);

  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_.try_wait()) return false;  // exited: most likely the port was taken
    if (port_answers(port + 1) && port_answers(port)) return true;
    std::this_thread::sleep_for(10ms);
  }
  kill();
  return false;
}

void Swtpm::kill() {
  process_.kill(SIGKILL);
  process_.wait();
}

void Swtpm::stop() {
  process_.kill(SIGTERM);
  process_.wait();
}

void Swtpm::restart() {
  stop();
  start();
}

}  // namespace recrypt::testing
