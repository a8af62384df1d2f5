#include "protocol/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "protocol/error.hpp"

namespace recrypt {
namespace {

[[noreturn]] void io_error(const std::string& what, const std::filesystem::path& path) {
  fail(Errc::io, what + " " + path.string() + ": " + std::strerror(errno));
}

int open_temporary(const std::filesystem::path& destination, unsigned mode, std::filesystem::path& temporary) {
  std::filesystem::path folder = destination.parent_path();
  if (folder.empty()) folder = ".";
  std::string pattern = (folder / ("." + destination.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) io_error("cannot create a temporary file for", destination);
  temporary = pattern;
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    ::close(fd);
    ::unlink(pattern.c_str());
    io_error("cannot set permissions on", temporary);
  }
  return fd;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination, unsigned mode, Durability durability)
    : destination_(std::move(destination)), fd_(open_temporary(destination_, mode, temporary_)), sink_(fd_),
      durability_(durability) {}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_.c_str());
}

void AtomicFile::commit() {
  bool durable = durability_ == Durability::durable;
  if (durable && ::fsync(fd_) != 0) io_error("cannot flush", temporary_);
  if (::close(fd_) != 0) {
    fd_ = -1;
    io_error("cannot close", temporary_);
  }
  fd_ = -1;
  if (::rename(temporary_.c_str(), destination_.c_str()) != 0) io_error("cannot rename into", destination_);
  committed_ = true;
  if (!durable) return;
  std::filesystem::path folder = destination_.parent_path();
  if (folder.empty()) folder = ".";
  int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);  // makes the rename durable; best effort on file systems that refuse it
    ::close(dir);
  }
}

Bytes read_file(const std::filesystem::path& path, std::size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_error("cannot open", path);
  Bytes out;
  std::uint8_t buf[16384];
  for (;;) {
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      errno = saved;
      io_error("cannot read", path);
    }
    if (got == 0) break;
    if (out.size() + static_cast<std::size_t>(got) > max_size) {
      ::close(fd);
      fail(Errc::too_large, path.string() + " is larger than " + std::to_string(max_size) + " bytes");
    }
    out.insert(out.end(), buf, buf + got);
  }
  ::close(fd);
  return out;
}

void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode) {
  AtomicFile file(path, mode);
  file.sink().write(data);
  file.commit();
}

}  // namespace recrypt
