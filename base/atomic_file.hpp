// A file that appears whole or not at all, and never under its name before it is complete.
//
// It is written as an unnamed file in the destination's folder (O_TMPFILE), which the kernel
// drops if the process dies, however it dies; commit() gives it its name with linkat(2). On a
// file system without O_TMPFILE it is a named temporary file in that folder instead, removed
// if never committed: by the destructor, or on SIGINT, SIGTERM and SIGHUP in a program that
// called remove_temporaries_on_signals(); only SIGKILL or a crash can leave one behind.
//
// commit_if_absent() never replaces anything: it fails if a file of the destination's name
// exists by then, even one that appeared while this one was written (linkat's EEXIST, not a
// check made earlier). commit() replaces: the file is linked under a temporary name and
// renamed over the destination.
//
// Used wherever a failure must leave nothing behind: decrypted and encrypted documents, key
// stores, profiles, the service's key vault.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace recrypt {

// What commit() flushes to the disk first.
enum class Sync {
  none,             // nothing: a power cut may leave the name on data never written
  file,             // the file, before it gets its name; the name may be lost, never the data
                    // under it (documents)
  file_and_folder,  // the file, then the folder after naming it: state that must survive a
                    // power cut (keys, profiles)
};

struct AtomicFileOptions {
  Sync sync = Sync::file_and_folder;
  // false: a named temporary file even where the file system offers an unnamed one (for
  // the tests of that fallback).
  bool unnamed = true;
};

class AtomicFile {
 public:
  // Opens the file in destination's folder with permissions `mode` (exactly, whatever the
  // umask). Throws Error(io).
  AtomicFile(std::filesystem::path destination, unsigned mode, AtomicFileOptions options = {});
  ~AtomicFile();  // not committed: nothing is left
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  int fd() const noexcept { return fd_.get(); }
  void write(std::span<const std::uint8_t> data);  // all of it, or Error(io)

  // Gives the file its name, replacing a file of that name. Throws Error(io).
  void commit();
  // Gives the file its name unless something has it already: false then, and nothing was
  // changed (the file stays unnamed until destroyed). Throws Error(io) on other failures.
  [[nodiscard]] bool commit_if_absent();

  // Whether the file is a named temporary one (the fallback); for tests.
  bool named_temporary() const noexcept { return !temporary_.empty(); }

 private:
  bool name_it(bool replace);
  void open_named();
  std::filesystem::path destination_;
  std::string name_;  // destination's name in its folder
  AtomicFileOptions options_;
  UniqueFd folder_;
  UniqueFd fd_;
  std::string temporary_;  // the named temporary file's name in the folder; empty when unnamed
  int slot_ = -1;          // its entry among the names removed on signals
  bool committed_ = false;
};

// Reads a whole small file: Error(io) when it cannot, Error(too_large) past max_size bytes.
std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::size_t max_size);
// Writes a file atomically and durably (Sync::file_and_folder), replacing one of that name.
void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                       unsigned mode);

// Makes SIGINT, SIGTERM and SIGHUP remove the named temporary files of uncommitted
// AtomicFiles before the signal ends the process as it would have. Only signals whose
// disposition is the default are taken: one ignored stays ignored, one the program handles
// (the agent's and recryptd's orderly shutdown, which runs the destructors) stays its own.
// For programs that are simply killed by these signals: the CLI.
void remove_temporaries_on_signals();

}  // namespace recrypt
