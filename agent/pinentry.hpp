// Asks for a PIN or passphrase, or for a yes or no, through a pinentry program (the Assuan
// protocol that gpg-agent speaks: SETDESC, SETPROMPT, SETERROR, GETPIN, whose answer comes
// back as a percent-escaped "D" line; SETOK, SETCANCEL, CONFIRM). The PIN travels only
// through a pipe and wiping memory.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::agent {

struct PinentryPrompt {
  std::string title;        // window title
  std::string description;  // what is being unlocked
  std::string prompt;       // "PIN:" or "Passphrase:"
  std::string error;        // shown on a retry
};

struct ConfirmPrompt {
  std::string title;        // window title
  std::string description;  // what the user is asked to allow
  std::string ok;           // the button that allows, e.g. "Allow"
  std::string cancel;       // the button that refuses, e.g. "Refuse"
};

// nullopt when the user cancelled. Throws std::runtime_error when the program cannot run or
// speaks nonsense.
std::optional<SecureString> ask_pinentry(const std::string& program, const PinentryPrompt& prompt);

// True when the user chose OK, false when they cancelled (ERR 83886179). Throws
// std::runtime_error when the program cannot run, fails otherwise or speaks nonsense: only a
// cancellation is a refusal.
bool confirm_pinentry(const std::string& program, const ConfirmPrompt& prompt);

// Assuan's escaping of a parameter: %, CR and LF (and every other control character) as %XX.
std::string assuan_escape(std::string_view text);

}  // namespace recrypt::agent
