#include "protocol/stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "protocol/error.hpp"

namespace recrypt {

std::size_t FdSource::read_some(std::uint8_t* buf, std::size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) fail(Errc::io, std::string("read failed: ") + std::strerror(errno));
  }
}

void FdSink::write(ByteView data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t put = ::write(fd_, data.data() + done, data.size() - done);
    if (put < 0) {
      if (errno == EINTR) continue;
      fail(Errc::io, std::string("write failed: ") + std::strerror(errno));
    }
    done += static_cast<std::size_t>(put);
  }
}

std::size_t MemorySource::read_some(std::uint8_t* buf, std::size_t n) {
  std::size_t take = std::min(n, data_.size());
  if (take == 0) return 0;  // an empty span may have no data pointer at all: memcpy from nullptr is UB
  std::memcpy(buf, data_.data(), take);
  data_ = data_.subspan(take);
  return take;
}

BufferedInput::BufferedInput(Source& source, std::size_t buffer_size)
    : source_(source), buffer_(buffer_size) {}

bool BufferedInput::fill() {
  begin_ = 0;
  end_ = source_.read_some(buffer_.data(), buffer_.size());
  return end_ > 0;
}

std::optional<std::string> BufferedInput::read_line(std::size_t max_length) {
  std::string line;
  bool any = false;
  for (;;) {
    if (begin_ == end_ && !fill()) {
      if (!any) return std::nullopt;
      fail(Errc::truncated, "input ends in the middle of a line");
    }
    any = true;
    const std::uint8_t* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    std::size_t take = nl ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - start) : end_ - begin_;
    if (line.size() + take > max_length)
      fail(Errc::too_large, "line is longer than " + std::to_string(max_length) + " bytes");
    line.append(reinterpret_cast<const char*>(start), take);
    begin_ += take;
    if (nl) {
      ++begin_;
      return line;
    }
  }
}

std::size_t BufferedInput::read_full(std::uint8_t* buf, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    if (begin_ < end_) {
      std::size_t take = std::min(n - done, end_ - begin_);
      std::memcpy(buf + done, buffer_.data() + begin_, take);
      begin_ += take;
      done += take;
    } else if (n - done >= buffer_.size()) {
      std::size_t got = source_.read_some(buf + done, n - done);
      if (got == 0) break;
      done += got;
    } else if (!fill()) {
      break;
    }
  }
  return done;
}

}  // namespace recrypt
