#include "softhsm_fixture.hpp"

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
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SoftHsm::module_path() { return "/usr/lib/softhsm/libsofthsm2.so"; }
std::string SoftHsm::proxy_path() { return "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so"; }

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
