#include "base/io.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "base/error.hpp"

namespace recrypt {
namespace {

[[noreturn]] void io_error(const char* what) {
  throw Error(Errc::io, std::string(what) + " failed: " + std::strerror(errno));
}

}  // namespace

std::size_t read_some(int fd, std::span<std::uint8_t> buf) {
  for (;;) {
    const ssize_t got = ::read(fd, buf.data(), buf.size());
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) io_error("read");
  }
}

std::size_t read_full(int fd, std::span<std::uint8_t> buf) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const std::size_t got = read_some(fd, buf.subspan(done));
    if (got == 0) break;
    done += got;
  }
  return done;
}

void write_all(int fd, std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t put = ::write(fd, data.data(), data.size());
    if (put < 0) {
      if (errno == EINTR) continue;
      io_error("write");
    }
    data = data.subspan(static_cast<std::size_t>(put));
  }
}

std::size_t read_full_at(int fd, std::span<std::uint8_t> buf, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < buf.size()) {
    const ssize_t got =
        ::pread(fd, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      io_error("read");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

void write_all_at(int fd, std::span<const std::uint8_t> data, std::uint64_t offset) {
  while (!data.empty()) {
    const ssize_t put = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (put < 0) {
      if (errno == EINTR) continue;
      io_error("write");
    }
    data = data.subspan(static_cast<std::size_t>(put));
    offset += static_cast<std::uint64_t>(put);
  }
}

std::size_t recv_some(int fd, std::span<std::uint8_t> buf) {
  for (;;) {
    const ssize_t got = ::recv(fd, buf.data(), buf.size(), 0);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) io_error("recv");
  }
}

void send_all(int fd, std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    const ssize_t put = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (put < 0) {
      if (errno == EINTR) continue;
      io_error("send");
    }
    data = data.subspan(static_cast<std::size_t>(put));
  }
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::clamp<decltype(left)>(left, 0, INT_MAX)));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) io_error("poll");
  }
}

}  // namespace recrypt
