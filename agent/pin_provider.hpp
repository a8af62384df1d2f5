// Where the agent's backends get PINs and passphrases: a cache with a time limit in front of
// either a non-interactive source (a file or a file descriptor given at start, for scripts
// and tests; never a command-line argument) or a pinentry program.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>

#include "backend/backend.hpp"

namespace recrypt::agent {

struct PinPolicy {
  std::optional<std::filesystem::path> passphrase_file;  // first line is the passphrase
  int passphrase_fd = -1;                                // read once at start
  std::string pinentry_program = "pinentry";
  std::chrono::seconds cache_ttl{600};
};

class PinProvider {
 public:
  explicit PinProvider(PinPolicy policy);
  backend::PinSource source();
  void forget_all();

 private:
  std::optional<SecureString> ask(const backend::PinRequest& request);
  std::optional<SecureString> non_interactive();

  struct Cached {
    SecureString pin;
    std::chrono::steady_clock::time_point expires;
  };
  PinPolicy policy_;
  std::optional<SecureString> from_fd_;
  std::mutex mutex_;
  std::map<std::string, Cached> cache_;
};

}  // namespace recrypt::agent
