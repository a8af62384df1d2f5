#include "protocol/secret_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/error.hpp"

namespace recrypt {
namespace {

SecureString first_line(const SecureBytes& data) {
  std::string_view text = as_chars(data);
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  return SecureString(text);
}

}  // namespace

SecureString read_secret_fd(int fd, const std::string& what) {
  // Read into the final buffer, reserved once so that no reallocation copies the secret.
  SecureBytes data(kMaxSecretFile + 1);
  std::size_t used = 0;
  while (used < data.size()) {
    ssize_t got = ::read(fd, data.data() + used, data.size() - used);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(Errc::io, "cannot read " + what + ": " + std::strerror(errno));
    if (got == 0) break;
    used += static_cast<std::size_t>(got);
  }
  if (used > kMaxSecretFile)
    fail(Errc::too_large, what + " is larger than " + std::to_string(kMaxSecretFile) + " bytes");
  data.resize(used);
  return first_line(data);
}

SecureString read_secret_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(Errc::io, "cannot open " + path.string() + ": " + std::strerror(errno));
  try {
    SecureString out = read_secret_fd(fd, path.string());
    ::close(fd);
    return out;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

}  // namespace recrypt
