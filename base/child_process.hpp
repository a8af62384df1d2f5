// A program run as a child process: its standard descriptors inherited, piped, /dev/null or a
// file; its environment ours or one given. The child gets descriptors 0, 1 and 2 and nothing
// else: every other descriptor of ours, close-on-exec or not, is closed in the child (a
// pinentry must not hold the agent's sockets, a test's server not the test's files). It
// starts with no signal blocked and SIGPIPE at its default action.
//
// Started with posix_spawn (no fork of a large or threaded process, no code of ours runs in
// the child); a program that cannot be started is an Error(io) from the constructor, not an
// exit status 127. The destructor kills (SIGKILL) and reaps a child still running: no zombie
// outlives its owner.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/unique_fd.hpp"

namespace recrypt {

// Where one of the child's standard descriptors leads.
struct Redirect {
  enum class Kind {
    inherit,    // ours
    pipe,       // a pipe to us: ChildProcess::stdin_pipe() / stdout_pipe()
    null,       // /dev/null
    file,       // `path`: read for stdin; for output created 0600, truncated or appended to
    to_stdout,  // stderr only: wherever stdout leads (2>&1)
  };
  Kind kind = Kind::inherit;
  std::filesystem::path path;
  bool append = false;

  static Redirect inherit() { return {}; }
  static Redirect pipe() { return {Kind::pipe, {}, false}; }
  static Redirect null() { return {Kind::null, {}, false}; }
  static Redirect file(std::filesystem::path p, bool append = false) {
    return {Kind::file, std::move(p), append};
  }
  static Redirect to_stdout() { return {Kind::to_stdout, {}, false}; }
};

struct ChildOptions {
  Redirect in;   // stdin: inherit, pipe, null or file
  Redirect out;  // stdout: inherit, pipe, null or file
  Redirect err;  // stderr: inherit, null, file or to_stdout
  // The child's environment, NAME=VALUE: ours when nullopt.
  std::optional<std::vector<std::string>> environment;
  // NAME=VALUE entries added where the environment above has no NAME.
  std::vector<std::string> environment_defaults;
};

class ChildProcess {
 public:
  ChildProcess() noexcept = default;  // no process
  // Runs argv[0] (looked up in PATH when it has no slash) with argv. Throws Error(io) when
  // the program cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options = {});
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0; }  // started and not yet reaped

  // Our ends of the pipes asked for (empty otherwise). reset() the stdin one to give the
  // child end of input.
  UniqueFd& stdin_pipe() noexcept { return stdin_; }
  UniqueFd& stdout_pipe() noexcept { return stdout_; }

  // Sends `signal` to a child not yet reaped (never to a pid that may have been reused).
  void kill(int signal) noexcept;
  // Waits for the child to end and reaps it; returns its wait status (see waitpid(2)), or
  // the one it already returned, or -1 when there never was a child.
  int wait() noexcept;
  // The wait status when the child has ended (reaping it), nullopt while it runs.
  std::optional<int> try_wait() noexcept;
  // The last wait status, -1 before the child was reaped.
  int status() const noexcept { return status_; }
  // Whether a wait status says the child exited with code 0.
  static bool succeeded(int status) noexcept;

 private:
  void finish() noexcept;  // kill and reap whatever runs, close our pipe ends
  pid_t pid_ = -1;
  int status_ = -1;
  UniqueFd stdin_;
  UniqueFd stdout_;
};

}  // namespace recrypt
