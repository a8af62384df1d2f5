#include "protocol/agent/paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace recrypt::agent {
namespace fs = std::filesystem;

namespace {
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777U);
  return buf;
}
}  // namespace

fs::path default_socket_path() {
  if (const char* p = env("RECRYPT_AGENT_SOCK")) return p;
  if (const char* runtime = env("XDG_RUNTIME_DIR"))
    return fs::path(runtime) / "recrypt" / "agent.sock";
  const char* tmp = env("TMPDIR");
  return fs::path(tmp != nullptr ? tmp : "/tmp") / ("recrypt-" + std::to_string(::getuid())) /
         "agent.sock";
}

fs::path default_home() {
  if (const char* p = env("RECRYPT_HOME")) return p;
  if (const char* data = env("XDG_DATA_HOME")) return fs::path(data) / "recrypt";
  const char* home = env("HOME");
  if (home == nullptr) {
    if (const passwd* pw = ::getpwuid(::getuid())) home = pw->pw_dir;
  }
  return fs::path(home != nullptr ? home : "/") / ".local" / "share" / "recrypt";
}

fs::path socket_folder(const fs::path& socket_path) {
  fs::path folder = socket_path.parent_path();
  return folder.empty() ? fs::path(".") : folder;
}

std::optional<FolderProblem> socket_folder_problem(const fs::path& folder) {
  const std::string name = folder.string();
  struct stat st {};
  if (::lstat(folder.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    return FolderProblem{
        "cannot inspect the socket folder " + name + ": " + std::strerror(errno),
        "make it readable to you, or use a socket in a folder of your own (--socket)"};
  }
  const uid_t me = ::geteuid();
  if (S_ISLNK(st.st_mode))
    return FolderProblem{
        "the socket folder " + name + " is a symbolic link, which could lead to anyone's folder",
        "remove the link (rm " + name + "); the agent creates a real folder, mode 0700"};
  if (!S_ISDIR(st.st_mode))
    return FolderProblem{"the socket folder " + name + " is not a folder",
                         "remove it; the agent creates the folder, mode 0700"};
  if (st.st_uid != me)
    return FolderProblem{
        "the socket folder " + name + " belongs to uid " + std::to_string(st.st_uid) +
            ", not to you (uid " + std::to_string(me) +
            "), so that user could answer as your agent",
        "have it removed (it is not yours), or use a socket in a folder of your own: "
        "$XDG_RUNTIME_DIR, or --socket"};
  if ((st.st_mode & 077) != 0)
    return FolderProblem{"the socket folder " + name + " has mode " + octal(st.st_mode) +
                             ", so others may reach or replace the socket in it",
                         "chmod 0700 " + name};
  return std::nullopt;
}

void make_socket_folder(const fs::path& folder) {
  if (::mkdir(folder.c_str(), 0700) != 0) {
    if (errno == ENOENT) {
      // Missing parents are made as create_directories makes them; the socket's own folder is
      // still made here, 0700 from the start.
      fs::create_directories(folder.parent_path());
      if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST)
        throw std::runtime_error("cannot create the socket folder " + folder.string() + ": " +
                                 std::strerror(errno));
    } else if (errno != EEXIST) {
      throw std::runtime_error("cannot create the socket folder " + folder.string() + ": " +
                               std::strerror(errno));
    }
  }
  // Checked whether made now or found: one found may be anyone's, or a link.
  if (auto problem = socket_folder_problem(folder)) throw std::runtime_error(problem->message());
}

}  // namespace recrypt::agent
