// A write to a pipe or socket whose reader is gone raises SIGPIPE, which kills a process that
// has not ignored it. A library cannot know whether its host ignores SIGPIPE, so around such
// writes (tpm2-tss's to a simulator, the agent's to pinentry) it blocks the signal for the
// calling thread and swallows one that the writes themselves raised; the write then fails
// with EPIPE and becomes an ordinary error.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <ctime>

namespace recrypt {

class SigpipeGuard {
 public:
  SigpipeGuard() noexcept {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);  // consume the one we caused
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
  bool blocked_ = false;
};

}  // namespace recrypt
