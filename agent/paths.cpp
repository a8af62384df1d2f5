#include "agent/paths.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace recrypt::agent {
namespace fs = std::filesystem;

namespace {
const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : nullptr;
}
}  // namespace

fs::path default_socket_path() {
  if (const char* p = env("RECRYPT_AGENT_SOCK")) return p;
  if (const char* runtime = env("XDG_RUNTIME_DIR")) return fs::path(runtime) / "recrypt" / "agent.sock";
  return fs::path("/tmp") / ("recrypt-" + std::to_string(::getuid())) / "agent.sock";
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

}  // namespace recrypt::agent
