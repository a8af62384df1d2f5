#include "tpm/key_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <utility>

#include "protocol/error.hpp"

namespace recrypt::tpm {
namespace {

constexpr std::string_view kSuffix = ".key";

[[noreturn]] void io_fail(const std::string& what, const std::filesystem::path& p, int err) {
  fail(Errc::io, what + " " + p.string() + ": " + std::strerror(err));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace

void write_file_atomic(const std::filesystem::path& path, ByteView data) {
  std::uint8_t rnd[8];
  if (RAND_bytes(rnd, sizeof rnd) != 1) fail(Errc::internal, "RAND_bytes failed");
  const std::filesystem::path tmp =
      path.string() + ".tmp-" + to_hex(ByteView(rnd, sizeof rnd));
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (fd.get() < 0) io_fail("cannot create", tmp, errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::unlink(tmp.c_str());
      io_fail("cannot write", tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    io_fail("cannot write", tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    io_fail("cannot rename into", path, err);
  }
  // Make the rename itself durable.
  Fd dir(::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) ::fsync(dir.get());
}

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
  write_file_atomic(path_of(id), data);
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
