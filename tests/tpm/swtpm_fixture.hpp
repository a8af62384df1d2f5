// A real swtpm process for tests: a fresh state directory (or a kept one), a free loopback
// port pair picked at random so that tests run in parallel, started and waited for until it
// answers, stopped in the destructor. No GoogleTest dependency, so agent tests can reuse it.
#pragma once

#include <filesystem>
#include <string>

#include "base/child_process.hpp"

namespace recrypt::testing {

// A temporary directory removed (recursively) with its owner.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "recrypt-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

class Swtpm {
 public:
  // Starts swtpm on a fresh state directory. Throws std::runtime_error when it cannot.
  Swtpm();
  ~Swtpm();
  Swtpm(const Swtpm&) = delete;
  Swtpm& operator=(const Swtpm&) = delete;

  // Whether the swtpm binary is installed (tests skip with a message when not).
  static bool available();

  // TCTI configuration string for tpm2-tss: "swtpm:host=127.0.0.1,port=P".
  std::string tcti() const;
  int port() const noexcept { return port_; }
  const std::filesystem::path& state_dir() const noexcept { return state_.path(); }

  void kill();     // SIGKILL, as a crash or an unplugged TPM would look
  void stop();     // SIGTERM and wait: swtpm saves its state
  void restart();  // stop if running, then start again on the same state directory and port
  bool running() const noexcept { return process_.running(); }

 private:
  void start();
  bool try_start(int port);
  TempDir state_;
  int port_ = 0;
  ChildProcess process_;
};

}  // namespace recrypt::testing
