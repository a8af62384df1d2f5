// The data directory where the TPM backend keeps its key blobs: one file `<id>.key` per key,
// the directory 0700 and the files 0600, every write atomic and durable (base/atomic_file.hpp)
// so that a crash never leaves half a key file behind.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::tpm {

class KeyStore {
 public:
  // Creates the directory (0700) when missing. Throws Error(io) when it cannot.
  explicit KeyStore(std::filesystem::path dir);

  void write(std::string_view id, ByteView data) const;
  // nullopt when there is no such key (or `id` is not a well-formed id).
  std::optional<Bytes> read(std::string_view id) const;
  std::vector<std::string> ids() const;  // sorted

  const std::filesystem::path& dir() const noexcept { return dir_; }

  // Ids are lower-case hex with a dash: nothing that could step out of the directory.
  static bool valid_id(std::string_view id) noexcept;

 private:
  std::filesystem::path path_of(std::string_view id) const;
  std::filesystem::path dir_;
};

}  // namespace recrypt::tpm
