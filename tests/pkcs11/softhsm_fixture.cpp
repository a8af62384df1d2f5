#include "softhsm_fixture.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace recrypt::testing {

namespace fs = std::filesystem;

SoftHsm::SoftHsm() {
  std::string tmpl = (fs::temp_directory_path() / "recrypt-softhsm-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  tokens_ = dir_ / "tokens";
  unplugged_ = dir_ / "unplugged";
  fs::create_directories(tokens_);
  fs::create_directories(unplugged_);
  fs::path conf = dir_ / "softhsm2.conf";
  std::ofstream(conf) << "directories.tokendir = " << tokens_.string() << "\n"
                      << "objectstore.backend = file\n"
                      << "log.level = ERROR\n"
                      << "slots.removable = true\n";
  ::setenv("SOFTHSM2_CONF", conf.c_str(), 1);
}

SoftHsm::~SoftHsm() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SoftHsm::module_path() { return "/usr/lib/softhsm/libsofthsm2.so"; }
std::string SoftHsm::proxy_path() { return "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"; }

void SoftHsm::run(const std::vector<std::string>& argv) const {
  fs::path log = dir_ / "tool.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::stringstream out;
    out << std::ifstream(log).rdbuf();
    throw std::runtime_error(argv[0] + " failed: " + out.str());
  }
}

void SoftHsm::init_token(const std::string& label, const std::string& user_pin,
                         const std::string& so_pin) {
  run({"softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", so_pin, "--pin",
       user_pin});
}

void SoftHsm::unplug() {
  for (const auto& e : fs::directory_iterator(tokens_))
    fs::rename(e.path(), unplugged_ / e.path().filename());
}

void SoftHsm::plug() {
  for (const auto& e : fs::directory_iterator(unplugged_))
    fs::rename(e.path(), tokens_ / e.path().filename());
}

}  // namespace recrypt::testing
