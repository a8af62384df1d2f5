#include "protocol/stream.hpp"

#include <cstring>

#include "base/io.hpp"
#include "base/error.hpp"

namespace recrypt {

std::size_t FdSource::read_some(std::span<std::uint8_t> buf) {
  return recrypt::read_some(fd_, buf);
}

void FdSink::write(ByteView data) { write_all(fd_, data); }

std::size_t MemorySource::read_some(std::span<std::uint8_t> buf) {
  std::size_t take = std::min(buf.size(), data_.size());
  if (take == 0)
    return 0;  // an empty span may have no data pointer at all: memcpy from nullptr is UB
  std::memcpy(buf.data(), data_.data(), take);
  data_ = data_.subspan(take);
  return take;
}

namespace {

// A Source that claims more than it was given room for is a bug, not input.
std::size_t checked_read(Source& source, std::span<std::uint8_t> buf) {
  const std::size_t got = source.read_some(buf);
  if (got > buf.size()) fail(Errc::internal, "a source read more than it was asked for");
  return got;
}

}  // namespace

BufferedInput::BufferedInput(Source& source, std::size_t buffer_size)
    : source_(source), buffer_(buffer_size) {}

bool BufferedInput::fill() {
  begin_ = 0;
  end_ = checked_read(source_, buffer_);
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
    std::size_t take =
        nl ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - start) : end_ - begin_;
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

std::size_t BufferedInput::read_full(std::span<std::uint8_t> buf) {
  const std::size_t n = buf.size();
  std::size_t done = 0;
  while (done < n) {
    if (begin_ < end_) {
      std::size_t take = std::min(n - done, end_ - begin_);
      std::memcpy(buf.data() + done, buffer_.data() + begin_, take);
      begin_ += take;
      done += take;
    } else if (n - done >= buffer_.size()) {
      std::size_t got = checked_read(source_, buf.subspan(done));
      if (got == 0) break;
      done += got;
    } else if (!fill()) {
      break;
    }
  }
  return done;
}

}  // namespace recrypt
