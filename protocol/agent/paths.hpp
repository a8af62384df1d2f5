// Where the agent lives by default, shared by the agent and the CLI so they always agree:
//   socket  $RECRYPT_AGENT_SOCK, else $XDG_RUNTIME_DIR/recrypt/agent.sock,
//           else ${TMPDIR:-/tmp}/recrypt-UID/agent.sock
//   home    $RECRYPT_HOME, else $XDG_DATA_HOME/recrypt, else ~/.local/share/recrypt
// and when the socket's folder may be trusted, a rule the two sides must share too.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace recrypt::agent {

std::filesystem::path default_socket_path();
std::filesystem::path default_home();

// The folder of a socket path ("." for a bare file name).
std::filesystem::path socket_folder(const std::filesystem::path& socket_path);

// Why a socket folder may not be trusted, and what to do about it.
struct FolderProblem {
  std::string what;
  std::string fix;
  std::string message() const { return what + "; " + fix; }
};

// Whoever can write to the socket's folder, or replace it, can put a socket of their own
// where the CLI looks for the agent, and be handed documents' keys to open. So the folder
// must be a real folder (not a symbolic link, which could lead anywhere), owned by this user
// (effective uid), with no permission for group or others. Nothing when the folder is fit,
// and nothing when it does not exist: it then holds no socket, and the agent creates it.
std::optional<FolderProblem> socket_folder_problem(const std::filesystem::path& folder);

// The agent's side: creates the folder with mkdir(0700) when it is missing (its parents as
// needed), and throws std::runtime_error with the problem when it exists and is not fit. An
// existing folder is never chmod'ed into shape: in a shared place like /tmp it may be
// another user's, made first to catch our socket.
void make_socket_folder(const std::filesystem::path& folder);

}  // namespace recrypt::agent
