// Reading and writing descriptors: every loop that retries after EINTR and every partial
// write is here, once. Buffers are spans, so a callee never writes past what it was given.
//
// Failures throw recrypt::Error with Errc::io and strerror's reason (base/error.hpp): callers
// that want their own error type catch it and say what the descriptor was.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

namespace recrypt {

// Up to buf.size() bytes; 0 only at end of input (or for an empty buf).
std::size_t read_some(int fd, std::span<std::uint8_t> buf);
// Fills buf unless input ends first; returns how many bytes it read.
std::size_t read_full(int fd, std::span<std::uint8_t> buf);
// All of data, or Error(io). A pipe whose reader is gone raises SIGPIPE as write() does
// (see base/sigpipe_guard.hpp).
void write_all(int fd, std::span<const std::uint8_t> data);
// The same at a file offset (pread, pwrite), leaving the descriptor's position alone: several
// threads may read and write one file at once.
std::size_t read_full_at(int fd, std::span<std::uint8_t> buf, std::uint64_t offset);
void write_all_at(int fd, std::span<const std::uint8_t> data, std::uint64_t offset);

// The same on a connected socket, never raising SIGPIPE (MSG_NOSIGNAL): a peer that went
// away is an Error(io).
std::size_t recv_some(int fd, std::span<std::uint8_t> buf);
void send_all(int fd, std::span<const std::uint8_t> data);

// Waits until fd is readable (or at its end, or in error); false when `timeout` passed first.
bool wait_readable(int fd, std::chrono::milliseconds timeout);

}  // namespace recrypt
