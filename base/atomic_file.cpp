#include "base/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>

#include "base/io.hpp"
#include "base/error.hpp"

namespace recrypt {
namespace {

[[noreturn]] void io_error(const std::string& what, const std::filesystem::path& path,
                           int err = errno) {
  throw Error(Errc::io, what + " " + path.string() + ": " + std::strerror(err));
}

// The signals whose default action would end the process with a temporary file left behind.
constexpr std::array<int, 3> kCleanupSignals = {SIGINT, SIGTERM, SIGHUP};

// Blocks kCleanupSignals for the calling thread while a name appears or goes, so that a
// signal's cleanup sees the state before or after, never between.
class CleanupSignalsBlocked {
 public:
  CleanupSignalsBlocked() noexcept {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kCleanupSignals) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~CleanupSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  CleanupSignalsBlocked(const CleanupSignalsBlocked&) = delete;
  CleanupSignalsBlocked& operator=(const CleanupSignalsBlocked&) = delete;

 private:
  sigset_t old_{};
};

// The named temporary files a signal removes: a fixed table, since the handler may neither
// allocate nor lock. An entry is live while its folder is >= 0; the name is written before
// the folder is published and the folder withdrawn before the name is reused.
struct Temporary {
  std::atomic<int> folder{-1};
  char name[NAME_MAX + 1] = {};
  bool claimed = false;  // under g_claims
};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler reads these");
std::array<Temporary, 16> g_temporaries;
std::mutex g_claims;

int remember_temporary(int folder, const std::string& name) {
  std::lock_guard lock(g_claims);
  for (std::size_t i = 0; i < g_temporaries.size(); ++i) {
    Temporary& t = g_temporaries[i];
    if (t.claimed) continue;
    t.claimed = true;
    std::memcpy(t.name, name.c_str(), name.size() + 1);
    t.folder.store(folder, std::memory_order_release);
    return static_cast<int>(i);
  }
  return -1;  // more than 16 at once: the destructor still removes it
}

void forget_temporary(int slot) noexcept {
  if (slot < 0) return;
  std::lock_guard lock(g_claims);
  g_temporaries[static_cast<std::size_t>(slot)].folder.store(-1, std::memory_order_release);
  g_temporaries[static_cast<std::size_t>(slot)].claimed = false;
}

extern "C" void remove_temporaries_and_die(int signal) {
  // Only async-signal-safe calls: unlinkat, raise. SA_RESETHAND restored the default action,
  // and this signal stays blocked until the handler returns, when it ends the process.
  for (Temporary& t : g_temporaries) {
    const int folder = t.folder.load(std::memory_order_acquire);
    if (folder >= 0) ::unlinkat(folder, t.name, 0);
  }
  ::raise(signal);
}

std::string random_suffix() {
  std::uint8_t bytes[6];
  for (std::size_t got = 0; got < sizeof bytes;) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      throw Error(Errc::internal, std::string("getrandom failed: ") + std::strerror(errno));
    got += static_cast<std::size_t>(n);
  }
  static const char hex[] = "0123456789abcdef";
  std::string out;
  for (std::uint8_t b : bytes) {
    out.push_back(hex[b >> 4]);
    out.push_back(hex[b & 15]);
  }
  return out;
}

// ".NAME.tmp-RANDOM", NAME cut short enough for NAME_MAX.
std::string temporary_name(const std::string& name) {
  return "." + name.substr(0, 200) + ".tmp-" + random_suffix();
}

// Gives the unnamed file `fd` the name `name` in `folder`; 0 or the errno of the failure.
int link_unnamed(int fd, int folder, const std::string& name) {
  char proc[64];
  std::snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (::linkat(AT_FDCWD, proc, folder, name.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
  if (errno != ENOENT) return errno;
  // No /proc (a chroot, early boot): AT_EMPTY_PATH, which older kernels allow only with
  // CAP_DAC_READ_SEARCH.
  if (::linkat(fd, "", folder, name.c_str(), AT_EMPTY_PATH) == 0) return 0;
  return errno;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination, unsigned mode, AtomicFileOptions options)
    : destination_(std::move(destination)),
      name_(destination_.filename().string()),
      options_(options) {
  if (name_.empty() || name_ == "." || name_ == "..")
    io_error("not a file name:", destination_, EISDIR);
  std::filesystem::path folder = destination_.parent_path();
  if (folder.empty()) folder = ".";
  folder_.reset(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!folder_) io_error("cannot open the folder of", destination_);
  if (options_.unnamed) {
    fd_.reset(::openat(folder_.get(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600));
    // EOPNOTSUPP: a file system without O_TMPFILE; EISDIR, EINVAL: a kernel without it.
    if (!fd_ && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      io_error("cannot create a file in the folder of", destination_);
  }
  if (!fd_) open_named();
  if (::fchmod(fd_.get(), static_cast<mode_t>(mode)) != 0)
    io_error("cannot set permissions on the file for", destination_);
}

void AtomicFile::open_named() {
  const CleanupSignalsBlocked blocked;  // created and remembered at once
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = temporary_name(name_);
    fd_.reset(::openat(folder_.get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd_) {
      temporary_ = std::move(name);
      slot_ = remember_temporary(folder_.get(), temporary_);
      return;
    }
    if (errno != EEXIST) break;
  }
  io_error("cannot create a temporary file for", destination_);
}

AtomicFile::~AtomicFile() {
  if (committed_ || temporary_.empty()) return;  // an unnamed file goes with its descriptor
  const CleanupSignalsBlocked blocked;
  forget_temporary(slot_);
  ::unlinkat(folder_.get(), temporary_.c_str(), 0);
}

void AtomicFile::write(std::span<const std::uint8_t> data) { write_all(fd_.get(), data); }

void AtomicFile::commit() { name_it(true); }

bool AtomicFile::commit_if_absent() { return name_it(false); }

bool AtomicFile::name_it(bool replace) {
  if (committed_) throw Error(Errc::internal, destination_.string() + " is committed already");
  // (A named file is closed by a commit_if_absent() that found its name taken.)
  if (options_.sync != Sync::none && fd_ && ::fsync(fd_.get()) != 0)
    io_error("cannot flush the file for", destination_);
  const CleanupSignalsBlocked blocked;
  const int folder = folder_.get();
  if (temporary_.empty()) {
    if (!replace) {
      const int err = link_unnamed(fd_.get(), folder, name_);
      if (err == EEXIST) return false;
      if (err != 0) io_error("cannot create", destination_, err);
    } else {
      // rename(2) replaces, linkat(2) does not: a temporary name first.
      std::string temporary;
      for (int attempt = 0;; ++attempt) {
        temporary = temporary_name(name_);
        const int err = link_unnamed(fd_.get(), folder, temporary);
        if (err == 0) break;
        if (err != EEXIST || attempt == 100)
          io_error("cannot create a temporary file for", destination_, err);
      }
      if (::renameat(folder, temporary.c_str(), folder, name_.c_str()) != 0) {
        const int err = errno;
        ::unlinkat(folder, temporary.c_str(), 0);
        io_error("cannot rename into", destination_, err);
      }
    }
    fd_.reset();  // a late write error showed in fsync (with Sync::none nobody asked)
  } else {
    if (!fd_.close()) io_error("cannot write", destination_);
    if (replace) {
      if (::renameat(folder, temporary_.c_str(), folder, name_.c_str()) != 0)
        io_error("cannot rename into", destination_);
    } else if (::renameat2(folder, temporary_.c_str(), folder, name_.c_str(), RENAME_NOREPLACE) !=
               0) {
      if (errno == EEXIST) return false;
      // A file system without RENAME_NOREPLACE (EINVAL) may still have hard links (NFS).
      if (errno != EINVAL) io_error("cannot rename into", destination_);
      if (::linkat(folder, temporary_.c_str(), folder, name_.c_str(), 0) != 0) {
        if (errno == EEXIST) return false;
        io_error("cannot create", destination_);
      }
      ::unlinkat(folder, temporary_.c_str(), 0);
    }
    forget_temporary(slot_);
    slot_ = -1;
    temporary_.clear();
  }
  committed_ = true;
  // Makes the name durable; best effort on file systems that refuse to fsync a folder.
  if (options_.sync == Sync::file_and_folder) ::fsync(folder);
  return true;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path, std::size_t max_size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) io_error("cannot open", path);
  std::vector<std::uint8_t> out;
  std::uint8_t buf[16384];
  for (;;) {
    std::size_t got = 0;
    try {
      got = read_some(fd.get(), buf);
    } catch (const Error& e) {
      throw Error(Errc::io, "cannot read " + path.string() + ": " + e.what());
    }
    if (got == 0) break;
    if (out.size() + got > max_size)
      throw Error(Errc::too_large,
                  path.string() + " is larger than " + std::to_string(max_size) + " bytes");
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

void write_file_atomic(const std::filesystem::path& path, std::span<const std::uint8_t> data,
                       unsigned mode) {
  AtomicFile file(path, mode);
  file.write(data);
  file.commit();
}

void remove_temporaries_on_signals() {
  for (int s : kCleanupSignals) {
    struct sigaction current {};
    if (::sigaction(s, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) continue;
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_die;
    sigemptyset(&action.sa_mask);
    for (int other : kCleanupSignals) sigaddset(&action.sa_mask, other);
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    ::sigaction(s, &action, nullptr);
  }
}

}  // namespace recrypt
