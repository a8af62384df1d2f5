// `recrypt doctor`: checks this user's recrypt setup and says how to fix each problem.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace recrypt::cli {

enum class CheckStatus { ok, warn, fail, skip };

struct CheckResult {
  std::string name;  // short and stable: "agent", "socket", "tpm", ...
  CheckStatus status;
  std::string detail;  // what was found
  std::string fix;     // what to do about it; empty when nothing is to be done
};

struct DoctorOptions {
  std::filesystem::path socket;  // the agent socket the CLI would use
  bool json = false;
  std::filesystem::path tpm_device = "/dev/tpmrm0";
};

// Runs every check, in order. Never throws: a check that cannot run reports why.
std::vector<CheckResult> run_checks(const DoctorOptions& options);

// Runs the checks, prints them (one line each, or JSON), returns 1 when a check failed, else 0.
int run_doctor(const DoctorOptions& options);

}  // namespace recrypt::cli
