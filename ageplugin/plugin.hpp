// age's plugin state machines (C2SP age-plugin.md) for recrypt groups:
//   recipient-v1  wraps each file key to each age1recrypt1 recipient, offline (no agent);
//   identity-v1   collects the `recrypt` stanzas of each file and has the agent unwrap them.
// Both read the client's stanzas strictly (age_stanza.hpp) and bound how many they keep: a
// hostile client gets an error and the plugin exits, never a crash or a hang.
#pragma once

#include <stdexcept>
#include <string>

#include "ageplugin/age_stanza.hpp"
#include "ageplugin/recrypt_age.hpp"

namespace recrypt::age {

// Files and stanzas one run keeps: far above what age sends for one invocation.
inline constexpr std::size_t kMaxFiles = 1024;
inline constexpr std::size_t kMaxStanzas = 4096;
inline constexpr std::size_t kMaxRecipients = 256;

// Who opens a stanza for identity-v1: the user's agent (agent_link.cpp), or a test's stand-in.
class Unwrapper {
 public:
  virtual ~Unwrapper() = default;
  // The file key; Refused with the reason (the agent's or its service's) when this user
  // cannot open it; Unreachable when there is no agent to ask.
  virtual SecureBytes unwrap(const RecryptStanza& stanza) = 0;
};

class Refused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class Unreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where the plugin writes its commands.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(std::string_view text) = 0;
};

// Each returns the process's exit status: 0 when the phase ran to its end, 1 when the client
// broke the protocol (the reason on stderr).
int run_recipient_v1(ByteSource& in, Sink& out);
int run_identity_v1(ByteSource& in, Sink& out, Unwrapper& unwrapper);

}  // namespace recrypt::age
