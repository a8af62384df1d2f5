// Asks for a PIN or passphrase through a pinentry program (the Assuan protocol that
// gpg-agent speaks: SETDESC, SETPROMPT, SETERROR, GETPIN; the answer comes back as a
// percent-escaped "D" line). The PIN travels only through a pipe and wiping memory.
#pragma once

#include <optional>
#include <string>

#include "protocol/bytes.hpp"

namespace recrypt::agent {

struct PinentryPrompt {
  std::string title;        // window title
  std::string description;  // what is being unlocked
  std::string prompt;       // "PIN:" or "Passphrase:"
  std::string error;        // shown on a retry
};

// nullopt when the user cancelled. Throws std::runtime_error when the program cannot run or
// speaks nonsense.
std::optional<SecureString> ask_pinentry(const std::string& program, const PinentryPrompt& prompt);

}  // namespace recrypt::agent
