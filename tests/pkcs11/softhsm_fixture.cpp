#include "softhsm_fixture.hpp"

#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/child_process.hpp"

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
  for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SoftHsm::module_path() { return "/usr/lib/softhsm/libsofthsm2.so"; }
std::string SoftHsm::proxy_path() { return "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"; }

bool SoftHsm::private_p11_kit() {
  fs::path conf = dir_ / "p11-kit";
  fs::create_directories(conf / "pkcs11" / "modules");
  std::ofstream(conf / "pkcs11" / "pkcs11.conf") << "user-config: only\n";
  std::ofstream(conf / "pkcs11" / "modules" / "softhsm2.module")
      << "module: " << module_path() << "\n";
  if (::getuid() != 0) {
    ::setenv("XDG_CONFIG_HOME", conf.c_str(), 1);
    return true;
  }
  // Root: the paths compiled into Debian's p11-kit (pkg-config p11-kit-1: p11_module_configs,
  // p11_system_config). The system folder gets a global config that turns user configs off
  // and no modules; it is covered only where it exists.
  const fs::path package_modules = "/usr/share/p11-kit/modules";
  const fs::path system_config = "/etc/pkcs11";
  fs::path empty = dir_ / "p11-kit-system";
  fs::create_directories(empty / "modules");
  std::ofstream(empty / "pkcs11.conf") << "user-config: none\n";
  if (::unshare(CLONE_NEWNS) != 0) return false;
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return false;
  auto cover = [this](const fs::path& from, const fs::path& over) {
    std::error_code ec;
    if (!fs::is_directory(over, ec)) return true;
    if (::mount(from.c_str(), over.c_str(), nullptr, MS_BIND, nullptr) != 0) return false;
    mounts_.push_back(over.string());
    return true;
  };
  return cover(conf / "pkcs11" / "modules", package_modules) && cover(empty, system_config);
}

void SoftHsm::run(const std::vector<std::string>& argv) const {
  fs::path log = dir_ / "tool.log";
  ChildOptions options;
  options.out = Redirect::file(log);
  options.err = Redirect::to_stdout();
  ChildProcess tool(argv, options);
  if (!ChildProcess::succeeded(tool.wait())) {
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
