#include "cli/doctor.hpp"

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <iostream>
#include <optional>
#include <sstream>

#include "base/child_process.hpp"
#include "base/io.hpp"
#include "client/agent_client.hpp"
#include "protocol/agent/paths.hpp"
#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"
#include "protocol/json.hpp"
#include "service/client/client.hpp"
#include "service/client/service_address.hpp"

namespace recrypt::cli {
namespace fs = std::filesystem;

namespace {

const char* status_name(CheckStatus s) {
  switch (s) {
    case CheckStatus::ok:
      return "ok";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
    case CheckStatus::skip:
      return "skip";
  }
  return "?";
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
  return buf;
}

std::string user_name() {
  const char* u = std::getenv("USER");
  return u != nullptr && *u != '\0' ? u : "$USER";
}

// The socket's folder and the socket itself: owned by us, nobody else may enter or connect.
// The folder is judged by the rule the CLI and the agent apply (protocol/agent/paths.hpp).
void check_socket(const DoctorOptions& o, std::vector<CheckResult>& out) {
  const fs::path dir = agent::socket_folder(o.socket);
  struct stat st {};
  const uid_t me = ::geteuid();
  if (::lstat(dir.c_str(), &st) != 0) {
    out.push_back({"socket-dir", CheckStatus::fail, dir.string() + " does not exist",
                   "start the agent (systemctl --user enable --now recrypt-agent.socket), which "
                   "creates it 0700"});
  } else if (auto problem = agent::socket_folder_problem(dir)) {
    out.push_back({"socket-dir", CheckStatus::fail, problem->what, problem->fix});
  } else {
    out.push_back(
        {"socket-dir", CheckStatus::ok, dir.string() + " is yours, mode " + octal(st.st_mode), ""});
  }

  if (::lstat(o.socket.c_str(), &st) != 0) {
    out.push_back({"socket", CheckStatus::fail, o.socket.string() + " does not exist",
                   "start the agent: systemctl --user enable --now recrypt-agent.socket (or run "
                   "recrypt-agent)"});
  } else if (!S_ISSOCK(st.st_mode)) {
    out.push_back({"socket", CheckStatus::fail, o.socket.string() + " is not a socket",
                   "remove it and start the agent again"});
  } else if (st.st_uid != me) {
    out.push_back({"socket", CheckStatus::fail,
                   o.socket.string() + " belongs to uid " + std::to_string(st.st_uid),
                   "do not use another user's agent; start your own"});
  } else if ((st.st_mode & 077) != 0) {
    out.push_back(
        {"socket", CheckStatus::warn, o.socket.string() + " has mode " + octal(st.st_mode),
         "chmod 0600 " + o.socket.string() + " (the folder's 0700 still keeps others out)"});
  } else {
    out.push_back({"socket", CheckStatus::ok,
                   o.socket.string() + " is yours, mode " + octal(st.st_mode), ""});
  }
}

std::optional<Json> check_agent(const DoctorOptions& o, std::vector<CheckResult>& out) {
  try {
    client::AgentClient client(o.socket);
    Json status = client.call("agent.status", Json::object());
    std::string detail = "recrypt-agent " + status.value("version", std::string("?")) + " answers";
    if (status.contains("profile"))
      detail += "; profile " + status["profile"].value("account", std::string());
    else
      detail += "; no profile yet";
    out.push_back(
        {"agent", CheckStatus::ok, detail,
         status.contains("profile") ? "" : "create one: recrypt personal ACCOUNT -s SERVICE_URL"});
    for (const auto& b : status.value("backends", Json::array())) {
      std::string name = b.value("name", std::string());
      if (!b.value("present", false))
        out.push_back(
            {"backend-" + name, CheckStatus::fail, "the agent's " + name + " backend is absent",
             name == "pkcs11" ? "insert the token (and check that pcscd runs)"
             : name == "tpm"  ? "check --tpm-tcti and access to the TPM (see the tpm check)"
                              : "see the agent's log: journalctl --user -u recrypt-agent"});
    }
    return status;
  } catch (const client::AgentUnreachable& e) {
    out.push_back({"agent", CheckStatus::fail, e.what(),
                   "start it: systemctl --user enable --now recrypt-agent.socket, or run "
                   "recrypt-agent in the background"});
  } catch (const std::exception& e) {
    out.push_back({"agent", CheckStatus::fail,
                   std::string("the agent did not answer agent.status: ") + e.what(),
                   "restart it: systemctl --user restart recrypt-agent.service"});
  }
  return std::nullopt;
}

bool agent_uses(const std::optional<Json>& status, const std::string& backend) {
  if (!status) return false;
  if (status->value("default_backend", std::string()) == backend) return true;
  for (const auto& b : status->value("backends", Json::array()))
    if (b.value("name", std::string()) == backend) return true;
  return false;
}

void check_tpm(const DoctorOptions& o, const std::optional<Json>& status,
               std::vector<CheckResult>& out) {
  const bool needed = agent_uses(status, "tpm");
  const std::string dev = o.tpm_device.string();
  struct stat st {};
  if (::stat(o.tpm_device.c_str(), &st) != 0) {
    out.push_back({"tpm", needed ? CheckStatus::fail : CheckStatus::warn, dev + " does not exist",
                   needed
                       ? "enable the TPM in the firmware, or use the soft or pkcs11 backend"
                       : "no TPM here: keys can live on a token (pkcs11) or in software (soft)"});
    return;
  }
  if (::access(o.tpm_device.c_str(), R_OK | W_OK) != 0) {
    out.push_back({"tpm", needed ? CheckStatus::fail : CheckStatus::warn,
                   dev + " exists but you may not use it (" + std::strerror(errno) + ")",
                   "sudo usermod -aG tss " + user_name() + ", then log out and in again"});
    return;
  }
  out.push_back({"tpm", CheckStatus::ok, dev + " is readable and writable", ""});
}

// Runs a program (no shell) and returns its standard output, or nullopt when it cannot run.
// `defaults` ("NAME=VALUE") join its environment where ours does not name them.
std::optional<std::string> capture(const std::vector<std::string>& argv,
                                   const std::vector<std::string>& defaults = {}) {
  ChildOptions options;
  options.out = Redirect::pipe();
  options.environment_defaults = defaults;
  try {
    ChildProcess child(argv, options);
    std::string text;
    std::array<std::uint8_t, 4096> buf{};
    while (std::size_t n = read_some(child.stdout_pipe().get(), buf))
      text.append(reinterpret_cast<const char*>(buf.data()), n);
    const int status = child.wait();
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 127) return std::nullopt;
    return text;
  } catch (const Error&) {
    return std::nullopt;  // not installed, or its output could not be read
  }
}

void check_pkcs11(const std::optional<Json>& status, std::vector<CheckResult>& out) {
  const bool needed = agent_uses(status, "pkcs11");
  // p11-kit loads every module it knows; tpm2-pkcs11 brings tpm2-tss, which logs to stderr
  // whatever it cannot open (no TPM here is no error for this check). Its log stays quiet
  // unless the user set TSS2_LOG.
  auto text = capture({"p11-kit", "list-modules"}, {"TSS2_LOG=all+NONE"});
  if (!text) {
    out.push_back({"pkcs11", needed ? CheckStatus::fail : CheckStatus::warn,
                   "p11-kit is not installed",
                   "sudo apt install p11-kit opensc (smartcards and YubiKeys)"});
    return;
  }
  std::vector<std::string> modules, tokens;
  std::istringstream in(*text);
  // "NAME: PATH" at the start of a line names a module; "    token: LABEL" below it a token.
  // p11-kit's own trust module holds CA certificates, not keys: it is not counted.
  bool in_trust = false;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.front() != ' ' && line.front() != '\t') {
      std::string name = line.substr(0, line.find(':'));
      in_trust = name == "p11-kit-trust";
      if (!in_trust) modules.push_back(name);
      continue;
    }
    auto t = line.find("token: ");
    if (!in_trust && t != std::string::npos && line.find_first_not_of(" \t") == t) {
      std::string label = line.substr(t + 7);
      tokens.push_back(label.empty() ? "(unlabelled)" : label);
    }
  }
  if (modules.empty()) {
    out.push_back({"pkcs11", needed ? CheckStatus::fail : CheckStatus::warn,
                   "p11-kit knows no PKCS#11 module",
                   "sudo apt install opensc-pkcs11 (smartcards, YubiKeys) or register your token's "
                   "module with p11-kit"});
    return;
  }
  auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  std::string detail = std::to_string(modules.size()) + " module(s): " + join(modules) + "; " +
                       std::to_string(tokens.size()) + " token(s)" +
                       (tokens.empty() ? "" : ": " + join(tokens));
  if (tokens.empty())
    out.push_back({"pkcs11", needed ? CheckStatus::warn : CheckStatus::ok, detail,
                   needed ? "insert your token; for smartcard readers, check that pcscd runs "
                            "(systemctl status pcscd.socket)"
                          : ""});
  else
    out.push_back({"pkcs11", CheckStatus::ok, detail, ""});
}

void check_service(const std::optional<Json>& status, std::vector<CheckResult>& out) {
  if (!status || !status->contains("profile")) {
    const char* why = status ? "no profile yet, so no service to check"
                             : "the agent did not answer, so the service is unknown";
    out.push_back({"service", CheckStatus::skip, why, ""});
    out.push_back({"clock", CheckStatus::skip, why, ""});
    return;
  }
  const std::string url = (*status)["profile"].value("service", std::string());
  service::HelloResponse hello;
  try {
    service::ClientOptions options;
    options.timeout = std::chrono::milliseconds(5000);
    service::Client client(url, "", nullptr, "", options);
    hello = client.hello();
  } catch (const std::exception& e) {
    out.push_back({"service", CheckStatus::fail, url + " does not answer Hello: " + e.what(),
                   "check the network and the URL in your profile; ask the service's administrator "
                   "whether recryptd runs"});
    out.push_back({"clock", CheckStatus::skip, "the service did not answer", ""});
    return;
  }
  // The agent refuses a service that calls itself other than its address says; so do we.
  try {
    service::require_audience(url, hello.audience);
  } catch (const service::ServiceError& e) {
    out.push_back({"service", CheckStatus::fail, e.what(),
                   "check the service address in your profile, or ask the service's operator to "
                   "set recryptd --audience"});
    out.push_back({"clock", CheckStatus::skip, "the service is not the one the profile names", ""});
    return;
  }
  std::string versions;
  for (const auto& v : hello.versions) versions += (versions.empty() ? "" : ",") + v;
  out.push_back(
      {"service", CheckStatus::ok, url + " answers Hello (protocol " + versions + ")", ""});
  if (!hello.time) {
    out.push_back({"clock", CheckStatus::skip,
                   "the service does not say its time in Hello; compare with: date -u", ""});
    return;
  }
  long skew = static_cast<long>(std::time(nullptr) - *hello.time);
  std::string detail = "local clock is " + std::to_string(skew) + " s from the service's";
  if (std::labs(skew) > 60)
    out.push_back(
        {"clock", std::labs(skew) > 300 ? CheckStatus::fail : CheckStatus::warn, detail,
         "synchronize the clock: sudo timedatectl set-ntp true (signed requests carry the time)"});
  else
    out.push_back({"clock", CheckStatus::ok, detail, ""});
}

}  // namespace

std::vector<CheckResult> run_checks(const DoctorOptions& options) {
  std::vector<CheckResult> out;
  check_socket(options, out);
  auto status = check_agent(options, out);
  check_tpm(options, status, out);
  check_pkcs11(status, out);
  check_service(status, out);
  return out;
}

int run_doctor(const DoctorOptions& options) {
  auto results = run_checks(options);
  bool failed = false;
  for (const auto& r : results) failed = failed || r.status == CheckStatus::fail;
  if (options.json) {
    Json checks = Json::array();
    for (const auto& r : results) {
      Json c{{"check", r.name}, {"status", status_name(r.status)}, {"detail", r.detail}};
      if (!r.fix.empty()) c["fix"] = r.fix;
      checks.push_back(c);
    }
    std::cout << Json{{"ok", !failed}, {"checks", checks}}.dump(2) << "\n";
  } else {
    for (const auto& r : results) {
      std::printf("%-4s  %-12s %s\n", status_name(r.status), r.name.c_str(), r.detail.c_str());
      if (!r.fix.empty()) std::printf("      %-12s fix: %s\n", "", r.fix.c_str());
    }
    std::fflush(stdout);
  }
  return failed ? 1 : 0;
}

}  // namespace recrypt::cli
