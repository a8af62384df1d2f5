// A private SoftHSM2 installation for one test: its own temp dir, token dir and
// SOFTHSM2_CONF, so tests run in parallel under ctest -j without seeing each other's tokens.
// Reusable by the agent's tests: it knows nothing about the backend.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace recrypt::testing {

class SoftHsm {
 public:
  static constexpr const char* kSoPin = "12345678";
  static constexpr const char* kUserPin = "1234";

  // Creates the dirs and the config and points SOFTHSM2_CONF at it (for this process and
  // the tools it starts).
  SoftHsm();
  ~SoftHsm();  // removes everything
  SoftHsm(const SoftHsm&) = delete;
  SoftHsm& operator=(const SoftHsm&) = delete;

  // softhsm2-util --init-token --free --label <label>.
  void init_token(const std::string& label, const std::string& user_pin = kUserPin,
                  const std::string& so_pin = kSoPin);

  // "Pulls out" every token: moves the token folders out of the token dir. plug() puts them back.
  void unplug();
  void plug();

  static std::string module_path();  // SoftHSM2's own module
  static std::string proxy_path();   // p11-kit-proxy.so
  const std::filesystem::path& dir() const noexcept { return dir_; }
  const std::filesystem::path& token_dir() const noexcept { return tokens_; }

  // Runs a program (no shell) with output to a log in dir(); throws with the log on failure.
  void run(const std::vector<std::string>& argv) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path tokens_;
  std::filesystem::path unplugged_;
};

}  // namespace recrypt::testing
