#include "tpm/key_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <utility>

#include "base/atomic_file.hpp"
#include "base/error.hpp"

namespace recrypt::tpm {
namespace {

constexpr std::string_view kSuffix = ".key";

}  // namespace

KeyStore::KeyStore(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) {
    std::filesystem::create_directories(dir_, ec);
    if (ec)
      fail(Errc::io, "cannot create TPM data directory " + dir_.string() + ": " + ec.message());
    ::chmod(dir_.c_str(), 0700);
  }
  if (!std::filesystem::is_directory(dir_, ec))
    fail(Errc::io, "TPM data directory " + dir_.string() + " is not a directory");
}

bool KeyStore::valid_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-';
  });
}

std::filesystem::path KeyStore::path_of(std::string_view id) const {
  return dir_ / (std::string(id) + std::string(kSuffix));
}

void KeyStore::write(std::string_view id, ByteView data) const {
  if (!valid_id(id)) fail(Errc::internal, "invalid TPM key id");
  write_file_atomic(path_of(id), data, 0600);
}

std::optional<Bytes> KeyStore::read(std::string_view id) const {
  if (!valid_id(id)) return std::nullopt;
  std::ifstream in(path_of(id), std::ios::binary);
  if (!in) return std::nullopt;
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) fail(Errc::io, "cannot read " + path_of(id).string());
  return data;
}

std::vector<std::string> KeyStore::ids() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;
    std::string id = name.substr(0, name.size() - kSuffix.size());
    if (valid_id(id)) out.push_back(std::move(id));
  }
  if (ec) fail(Errc::io, "cannot list " + dir_.string() + ": " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace recrypt::tpm
