// The agent's log: one JSON object per line on stderr (journald keeps it under systemd).
// Callers pass only what is safe to log: never a PIN, a key, a share or a payload key.
#pragma once

#include <string>
#include <string_view>

namespace recrypt::agent {

void log_event(std::string_view level, std::string_view message);

}  // namespace recrypt::agent
