// Byte streams for the .jcd format: small interfaces so the same code reads files, pipes,
// sockets and memory, plus the one buffered reader that bounds every line it reads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/bytes.hpp"

namespace recrypt {

class Source {
 public:
  virtual ~Source() = default;
  // Up to buf.size() bytes into buf; 0 only at end of input (or for an empty buf). Error(io)
  // on failure.
  virtual std::size_t read_some(std::span<std::uint8_t> buf) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(ByteView data) = 0;  // all of it, or Error(io)
};

// A descriptor someone else owns (base/io.hpp does the reading and writing).
class FdSource final : public Source {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  std::size_t read_some(std::span<std::uint8_t> buf) override;

 private:
  int fd_;
};

class FdSink final : public Sink {
 public:
  explicit FdSink(int fd) : fd_(fd) {}
  void write(ByteView data) override;

 private:
  int fd_;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(ByteView data) : data_(data) {}
  std::size_t read_some(std::span<std::uint8_t> buf) override;

 private:
  ByteView data_;
};

class MemorySink final : public Sink {
 public:
  void write(ByteView data) override { data_.insert(data_.end(), data.begin(), data.end()); }
  const Bytes& data() const { return data_; }

 private:
  Bytes data_;
};

// Buffered reading with bounded lines. Large reads bypass the buffer.
class BufferedInput {
 public:
  explicit BufferedInput(Source& source, std::size_t buffer_size = 64 * 1024);
  // The next line without its "\n". nullopt at a clean end of input; Error(too_large) past
  // max_length, Error(truncated) when input ends inside a line.
  std::optional<std::string> read_line(std::size_t max_length);
  // Fills buf completely unless input ends first; returns how many bytes it read.
  std::size_t read_full(std::span<std::uint8_t> buf);

 private:
  bool fill();
  Source& source_;
  Bytes buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace recrypt
