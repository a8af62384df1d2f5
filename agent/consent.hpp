// Consent: before a request that decrypts or administers, the agent can show its user who
// asks and for what (a pinentry CONFIRM), in the spirit of `ssh-add -c`. Which requests ask
// is the ConfirmPolicy (`recrypt-agent --confirm`) plus the devices marked to confirm
// (`recrypt device confirm`); the Agent decides that, this file asks and remembers.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "agent/pinentry.hpp"

namespace recrypt::agent {

// What a method does, as far as asking goes (Agent::MethodInfo::consent).
enum class ConsentKind { none, decrypt, admin };

struct ConfirmPolicy {
  bool decrypt = false;  // document.open
  bool admin = true;     // every method that changes a group, the profile, its devices or pins
  std::chrono::seconds ttl{0};  // how long a "yes" holds for the same program; 0: ask each time

  bool covers(ConsentKind kind) const {
    return (kind == ConsentKind::decrypt && decrypt) || (kind == ConsentKind::admin && admin);
  }
};

// "decrypt", "admin", "decrypt,admin" or "none" into the policy's two choices (ttl kept).
// Throws std::invalid_argument naming a word it does not know.
void parse_confirm_list(std::string_view text, ConfirmPolicy& policy);

// The program at the other end of a connection, from its SO_PEERCRED pid.
struct Requester {
  int pid = 0;
  std::string program;  // /proc/PID/exe, else "[comm]" from /proc/PID/comm, else "unknown"
};
Requester identify_requester(int pid);

// Text a client chose (a document name, a member) or a file name, made fit to show: control
// characters become '?', and more than max_bytes are cut (at a character boundary) and end
// in "...". Assuan's own escaping (assuan_escape) happens on the wire after this.
std::string prompt_safe(std::string_view text, std::size_t max_bytes = 120);

// What one request would do, for the prompt.
struct ConsentRequest {
  ConsentKind kind = ConsentKind::none;
  std::string method;     // "group.add"
  std::string operation;  // the method's summary
  // Label and value, e.g. {"Group", "friends@example.com"}; values are made prompt_safe.
  std::vector<std::pair<std::string, std::string>> details;
};

// The prompt's text: who asks (program and pid), for what, with which group and document.
std::string consent_description(const Requester& who, const ConsentRequest& what);

// Shows a prompt: true for OK, false for a refusal; throws when it cannot ask.
using Confirmer = std::function<bool(const ConfirmPrompt&)>;

class ConsentGate {
 public:
  ConsentGate(std::chrono::seconds ttl, Confirmer confirmer);
  // Returns when the user allowed it (now, or for this program within the ttl). Throws
  // agent_rpc::RpcError: consent_refused when the user said no, auth_failed (data.errc
  // "no-prompt") when no prompt could be shown.
  void require(const Requester& who, const ConsentRequest& what);

 private:
  using Key = std::tuple<int, std::string, ConsentKind>;
  std::chrono::seconds ttl_;
  Confirmer confirmer_;
  std::mutex prompt_mutex_;  // one prompt on screen at a time, and the remembered answers
  std::map<Key, std::chrono::steady_clock::time_point> allowed_until_;
};

}  // namespace recrypt::agent
