#include "agent/consent.hpp"

#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "agent/log.hpp"
#include "protocol/agent/rpc.hpp"

namespace recrypt::agent {
namespace {

constexpr std::size_t kMaxProgram = 200;

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

const char* kind_name(ConsentKind kind) {
  switch (kind) {
    case ConsentKind::decrypt:
      return "decrypt";
    case ConsentKind::admin:
      return "admin";
    case ConsentKind::none:
      break;
  }
  return "none";
}

}  // namespace

void parse_confirm_list(std::string_view text, ConfirmPolicy& policy) {
  bool decrypt = false, admin = false, none = false;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string_view word =
        trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (word == "decrypt")
      decrypt = true;
    else if (word == "admin")
      admin = true;
    else if (word == "none")
      none = true;
    else
      throw std::invalid_argument("--confirm: \"" + prompt_safe(word, 40) +
                                  "\" is not decrypt, admin or none");
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  if (none && (decrypt || admin))
    throw std::invalid_argument("--confirm: none cannot be combined with decrypt or admin");
  policy.decrypt = decrypt;
  policy.admin = admin;
}

// The executable's path names the program far better than its comm (15 bytes, set by the
// program itself); readlink needs the right to ptrace-read the process, which a
// non-dumpable client withholds, so comm is the fallback. Both are hints the user reads, not
// proof: the pid may have exited and been reused since it connected.
Requester identify_requester(int pid) {
  Requester who{pid, "unknown"};
  if (pid <= 0) return who;
  std::string proc = "/proc/" + std::to_string(pid);
  char buf[4096];
  ssize_t n = ::readlink((proc + "/exe").c_str(), buf, sizeof buf - 1);
  if (n > 0) {
    who.program.assign(buf, static_cast<std::size_t>(n));
    return who;
  }
  std::ifstream comm(proc + "/comm");
  std::string name;
  if (comm && std::getline(comm, name) && !name.empty()) who.program = "[" + name + "]";
  return who;
}

std::string prompt_safe(std::string_view text, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (unsigned char c : text) out.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes;
  // Never split a UTF-8 sequence: back up over continuation bytes (10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  return out + "...";
}

std::string consent_description(const Requester& who, const ConsentRequest& what) {
  std::string text =
      "A program asks recrypt-agent to " + what.operation + " (" + what.method + ").\n\n";
  text += "Program: " + prompt_safe(who.program, kMaxProgram) + " (pid " + std::to_string(who.pid) +
          ")\n";
  for (const auto& [label, value] : what.details) text += label + ": " + prompt_safe(value) + "\n";
  text += "\nAllow it?";
  return text;
}

ConsentGate::ConsentGate(std::chrono::seconds ttl, Confirmer confirmer)
    : ttl_(ttl), confirmer_(std::move(confirmer)) {}

void ConsentGate::require(const Requester& who, const ConsentRequest& what) {
  using agent_rpc::Code;
  using agent_rpc::RpcError;
  std::lock_guard guard(prompt_mutex_);
  auto now = std::chrono::steady_clock::now();
  Key key{who.pid, who.program, what.kind};
  if (auto it = allowed_until_.find(key); it != allowed_until_.end()) {
    if (now < it->second) return;
    allowed_until_.erase(it);
  }
  std::string request = what.method + " from " + prompt_safe(who.program, kMaxProgram) + " (pid " +
                        std::to_string(who.pid) + ")";
  bool allowed = false;
  try {
    if (!confirmer_) throw std::runtime_error("no confirmation prompt is configured");
    allowed = confirmer_(
        ConfirmPrompt{"recrypt-agent: confirm", consent_description(who, what), "Allow", "Refuse"});
  } catch (const std::exception& e) {
    log_event("warning", "cannot ask to confirm " + request + ": " + e.what());
    throw RpcError(Code::auth_failed,
                   std::string("cannot ask for confirmation: ") + e.what() +
                       " (give the agent a working --pinentry, or start it with --confirm none)",
                   Json{{"errc", "no-prompt"}});
  }
  if (!allowed) {
    log_event("info", "the user refused " + request);
    throw RpcError(Code::consent_refused,
                   "the user refused the request at the agent's confirmation prompt",
                   Json{{"errc", "refused-by-user"}, {"kind", kind_name(what.kind)}});
  }
  log_event("info", "the user allowed " + request);
  if (ttl_.count() > 0) allowed_until_[key] = std::chrono::steady_clock::now() + ttl_;
}

}  // namespace recrypt::agent
