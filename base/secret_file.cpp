#include "base/secret_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/unique_fd.hpp"

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
  try {
    while (used < data.size()) {
      const std::size_t got = read_some(fd, std::span(data).subspan(used));
      if (got == 0) break;
      used += got;
    }
  } catch (const Error& e) {
    fail(Errc::io, "cannot read " + what + ": " + e.what());
  }
  if (used > kMaxSecretFile)
    fail(Errc::too_large, what + " is larger than " + std::to_string(kMaxSecretFile) + " bytes");
  data.resize(used);
  return first_line(data);
}

SecureString read_secret_file(const std::filesystem::path& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(Errc::io, "cannot open " + path.string() + ": " + std::strerror(errno));
  return read_secret_fd(fd.get(), path.string());
}

}  // namespace recrypt
