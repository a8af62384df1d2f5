// Where the agent lives by default, shared by the agent and the CLI so they always agree:
//   socket  $RECRYPT_AGENT_SOCK, else $XDG_RUNTIME_DIR/recrypt/agent.sock,
//           else /tmp/recrypt-UID/agent.sock
//   home    $RECRYPT_HOME, else $XDG_DATA_HOME/recrypt, else ~/.local/share/recrypt
#pragma once

#include <filesystem>

namespace recrypt::agent {

std::filesystem::path default_socket_path();
std::filesystem::path default_home();

}  // namespace recrypt::agent
