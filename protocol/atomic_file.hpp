// A file that appears whole or not at all: written to a temporary file in the destination's
// folder, flushed and renamed over the destination on commit(), removed if never committed.
// Used wherever a failure must leave nothing behind (decrypted output, key stores).
#pragma once

#include <filesystem>

#include "protocol/stream.hpp"

namespace recrypt {

// durable: fsync the file and its folder before and after the rename, for state that must
// survive a power cut (keys, profiles). atomic_only: the rename alone, as cp, gpg and age do
// for documents; a failure still leaves nothing behind.
enum class Durability { durable, atomic_only };

class AtomicFile {
 public:
  AtomicFile(std::filesystem::path destination, unsigned mode, Durability durability = Durability::durable);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  Sink& sink() { return sink_; }
  void commit();  // (fsync,) rename into place, (fsync the folder)

 private:
  std::filesystem::path destination_;
  std::filesystem::path temporary_;
  int fd_ = -1;
  FdSink sink_;
  Durability durability_;
  bool committed_ = false;
};

// Reads a whole small file (bounded) or writes one atomically.
Bytes read_file(const std::filesystem::path& path, std::size_t max_size);
void write_file_atomic(const std::filesystem::path& path, ByteView data, unsigned mode);

}  // namespace recrypt
