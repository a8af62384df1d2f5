// Reading a PIN or passphrase given to a program in a file or through a file descriptor:
// straight into wiping memory, never through a plain buffer.
#pragma once

#include <filesystem>

#include "base/bytes.hpp"

namespace recrypt {

// The most a secret file may hold; a longer one is refused (it is not a passphrase).
inline constexpr std::size_t kMaxSecretFile = 4096;

// The first line of `path` (without its "\n" or "\r\n"). Error(io) when it cannot be read,
// Error(too_large) beyond kMaxSecretFile. Messages name the file, never its contents.
SecureString read_secret_file(const std::filesystem::path& path);
// The same from an open descriptor, read to its end; does not close it. `what` names it in
// errors.
SecureString read_secret_fd(int fd, const std::string& what);

}  // namespace recrypt
