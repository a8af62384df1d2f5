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

  // Gives p11-kit (and so p11-kit-proxy.so loaded later by this process) a configuration
  // that lists SoftHSM2's module and nothing else, so that modules installed on the machine
  // (tpm2-pkcs11 with no TPM, OpenSC) are not loaded and do not write to stderr. A user
  // config with `user-config: only` under XDG_CONFIG_HOME; p11-kit ignores user configs
  // when running as root, so as root the process moves to a mount namespace of its own in
  // which the system's module folders are covered by this one. Returns false (and changes
  // nothing) when neither is possible.
  bool private_p11_kit();

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
  std::vector<std::string> mounts_;  // bind mounts made by private_p11_kit(), undone at the end
};

}  // namespace recrypt::testing
