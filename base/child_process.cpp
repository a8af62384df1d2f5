#include "base/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

#include "base/error.hpp"

#if !defined(__GLIBC__)
#error "ChildProcess uses glibc's posix_spawn_file_actions_addclosefrom_np"
#elif !__GLIBC_PREREQ(2, 34)
#error "ChildProcess needs posix_spawn_file_actions_addclosefrom_np, glibc 2.34 or later"
#endif

extern char** environ;

namespace recrypt {
namespace {

[[noreturn]] void spawn_error(const std::string& what, int err) {
  throw Error(Errc::io, what + ": " + std::strerror(err));
}

class FileActions {
 public:
  FileActions() {
    if (int rc = ::posix_spawn_file_actions_init(&actions_))
      spawn_error("posix_spawn_file_actions_init", rc);
  }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;

  void dup2(int from, int to) { check(::posix_spawn_file_actions_adddup2(&actions_, from, to)); }
  // Not O_CLOEXEC: glibc closes fd and opens, which usually hands out fd itself.
  void open(int fd, const std::filesystem::path& path, int flags) {
    check(::posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0600));
  }
  void close_from(int fd) { check(::posix_spawn_file_actions_addclosefrom_np(&actions_, fd)); }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  static void check(int rc) {
    if (rc != 0) spawn_error("posix_spawn_file_actions", rc);
  }
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  // Default SIGPIPE (which we or our host may ignore, and a shell must not), nothing blocked
  // (a thread of ours may block SIGPIPE around a write, see base/sigpipe_guard.hpp).
  SpawnAttributes() {
    if (int rc = ::posix_spawnattr_init(&attr_)) spawn_error("posix_spawnattr_init", rc);
    sigset_t none, pipe;
    sigemptyset(&none);
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (::posix_spawnattr_setsigmask(&attr_, &none) != 0 ||
        ::posix_spawnattr_setsigdefault(&attr_, &pipe) != 0 ||
        ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0)
      spawn_error("posix_spawnattr", EINVAL);
  }
  ~SpawnAttributes() { ::posix_spawnattr_destroy(&attr_); }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_;
};

// A pipe whose ends are both close-on-exec and above 2, so that a dup2 onto 0, 1 or 2 never
// meets its own descriptor (which would leave it close-on-exec).
struct Pipe {
  UniqueFd read, write;
};

UniqueFd above_stdio(UniqueFd fd) {
  if (fd.get() > 2) return fd;
  UniqueFd moved(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3));
  if (!moved) spawn_error("fcntl(F_DUPFD_CLOEXEC)", errno);
  return moved;
}

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) spawn_error("pipe2", errno);
  UniqueFd r(fds[0]), w(fds[1]);
  return {above_stdio(std::move(r)), above_stdio(std::move(w))};
}

bool names(std::string_view entry, std::string_view name) {
  return entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=';
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw Error(Errc::internal, "ChildProcess: no program");
  if (options.in.kind == Redirect::Kind::to_stdout || options.out.kind == Redirect::Kind::to_stdout)
    throw Error(Errc::internal, "ChildProcess: only stderr can go to stdout");

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> envp;
  if (options.environment) {
    for (const auto& e : *options.environment) envp.push_back(const_cast<char*>(e.c_str()));
  } else {
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
  }
  for (const auto& d : options.environment_defaults) {
    const std::string_view name = std::string_view(d).substr(0, d.find('='));
    bool present = false;
    for (const char* e : envp) present = present || names(e, name);
    if (!present) envp.push_back(const_cast<char*>(d.c_str()));
  }
  envp.push_back(nullptr);

  FileActions actions;
  UniqueFd child_stdin, child_stdout;  // the child's ends, closed here once it has them
  switch (options.in.kind) {
    case Redirect::Kind::inherit:
      break;
    case Redirect::Kind::pipe: {
      Pipe p = make_pipe();
      child_stdin = std::move(p.read);
      stdin_ = std::move(p.write);
      actions.dup2(child_stdin.get(), 0);
      break;
    }
    case Redirect::Kind::null:
      actions.open(0, "/dev/null", O_RDONLY);
      break;
    case Redirect::Kind::file:
      actions.open(0, options.in.path, O_RDONLY);
      break;
    case Redirect::Kind::to_stdout:
      break;
  }
  auto output = [&actions](int fd, const Redirect& r) {
    if (r.kind == Redirect::Kind::null) actions.open(fd, "/dev/null", O_WRONLY);
    if (r.kind == Redirect::Kind::file)
      actions.open(fd, r.path, O_WRONLY | O_CREAT | (r.append ? O_APPEND : O_TRUNC));
  };
  if (options.out.kind == Redirect::Kind::pipe) {
    Pipe p = make_pipe();
    child_stdout = std::move(p.write);
    stdout_ = std::move(p.read);
    actions.dup2(child_stdout.get(), 1);
  }
  output(1, options.out);
  if (options.err.kind == Redirect::Kind::pipe)
    throw Error(Errc::internal, "ChildProcess: stderr cannot be a pipe");
  if (options.err.kind == Redirect::Kind::to_stdout) actions.dup2(1, 2);
  output(2, options.err);
  // Nothing of ours but 0, 1 and 2 reaches the program, close-on-exec or not.
  actions.close_from(3);

  SpawnAttributes attributes;
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, args[0], actions.get(), attributes.get(), args.data(), envp.data());
  if (rc != 0) {
    stdin_.reset();
    stdout_.reset();
    spawn_error("cannot run " + argv[0], rc);
  }
  pid_ = pid;
}

ChildProcess::~ChildProcess() { finish(); }

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::exchange(other.status_, -1)),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    finish();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, -1);
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
  }
  return *this;
}

void ChildProcess::finish() noexcept {
  stdin_.reset();
  stdout_.reset();
  if (pid_ > 0) {
    kill(SIGKILL);
    wait();
  }
}

void ChildProcess::kill(int signal) noexcept {
  if (pid_ > 0) ::kill(pid_, signal);
}

int ChildProcess::wait() noexcept {
  while (pid_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, 0);
    if (r == pid_) {
      status_ = status;
      pid_ = -1;
    } else if (r < 0 && errno != EINTR) {
      pid_ = -1;  // ECHILD: reaped elsewhere (SIGCHLD ignored); its status is lost
    }
  }
  return status_;
}

std::optional<int> ChildProcess::try_wait() noexcept {
  if (pid_ > 0) {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) return std::nullopt;
    if (r == pid_) status_ = status;
    pid_ = -1;
  }
  return status_;
}

bool ChildProcess::succeeded(int status) noexcept {
  return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace recrypt
