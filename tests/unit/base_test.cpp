// base/: descriptors, reads and writes, child processes (and what they inherit), and files
// that appear whole or not at all, with an unnamed file and with the named fallback.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/atomic_file.hpp"
#include "base/child_process.hpp"
#include "base/io.hpp"
#include "base/sigpipe_guard.hpp"
#include "base/unique_fd.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fresh folder, removed with everything in it.
class Folder {
 public:
  Folder() {
    std::string t = (fs::temp_directory_path() / "recrypt-base-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = t;
  }
  ~Folder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Folder(const Folder&) = delete;
  Folder& operator=(const Folder&) = delete;
  const fs::path& path() const { return path_; }
  std::size_t entries() const {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(path_), fs::directory_iterator()));
  }

 private:
  fs::path path_;
};

struct Pipe {
  UniqueFd read, write;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    read.reset(fds[0]);
    write.reset(fds[1]);
  }
};

TEST(UniqueFd, ClosesReleasesAndMoves) {
  Pipe p;
  const int r = p.read.get();
  {
    UniqueFd moved(std::move(p.read));
    EXPECT_FALSE(p.read);
    EXPECT_EQ(moved.get(), r);
  }
  EXPECT_FALSE(is_open(r));
  const int w = p.write.release();
  EXPECT_FALSE(p.write);
  EXPECT_TRUE(is_open(w));
  UniqueFd again;
  again.reset(w);
  EXPECT_TRUE(again.close());
  EXPECT_FALSE(is_open(w));
  EXPECT_TRUE(again.close());  // nothing held: nothing to fail
}

TEST(Io, ReadsAndWritesWithinTheSpansGiven) {
  Pipe p;
  write_all(p.write.get(), as_bytes("hello, world"));
  p.write.reset();
  std::array<std::uint8_t, 5> small{};
  EXPECT_EQ(read_some(p.read.get(), small), 5u);
  EXPECT_EQ(as_chars(small), "hello");
  std::array<std::uint8_t, 64> rest{};
  EXPECT_EQ(read_full(p.read.get(), rest), 7u);
  EXPECT_EQ(as_chars(std::span(rest).first(7)), ", world");
  EXPECT_EQ(read_some(p.read.get(), rest), 0u);  // the end
  EXPECT_EQ(read_some(p.read.get(), std::span<std::uint8_t>()), 0u);
  EXPECT_ERRC(read_some(-1, rest), Errc::io);
  EXPECT_ERRC(write_all(-1, as_bytes("x")), Errc::io);
}

TEST(Io, APeerGoneIsAnErrorNotASignal) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd a(sv[0]), b(sv[1]);
  b.reset();
  EXPECT_ERRC(send_all(a.get(), as_bytes("to nobody")), Errc::io);  // MSG_NOSIGNAL
  std::array<std::uint8_t, 8> buf{};
  EXPECT_EQ(recv_some(a.get(), buf), 0u);

  // A pipe has no MSG_NOSIGNAL: the guard turns the SIGPIPE into EPIPE (the agent writing to
  // a pinentry that exited).
  Pipe p;
  p.read.reset();
  const SigpipeGuard no_sigpipe;
  EXPECT_ERRC(write_all(p.write.get(), as_bytes("to nobody")), Errc::io);
}

TEST(Io, WaitReadable) {
  Pipe p;
  EXPECT_FALSE(wait_readable(p.read.get(), 10ms));
  write_all(p.write.get(), as_bytes("x"));
  EXPECT_TRUE(wait_readable(p.read.get(), 10ms));
}

ChildOptions piped() {
  ChildOptions o;
  o.in = Redirect::pipe();
  o.out = Redirect::pipe();
  o.environment = std::vector<std::string>{"PATH=/usr/bin:/bin", "LC_ALL=C"};
  return o;
}

// What the pinentry fix rests on: whatever the parent holds, close-on-exec or not, the child
// has 0, 1 and 2 and nothing else.
TEST(ChildProcess, TheChildInheritsNoDescriptorAbove2) {
  UniqueFd plain(::open("/dev/null", O_RDONLY));  // no O_CLOEXEC
  ASSERT_TRUE(plain);
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv),
            0);  // a socket, as the agent's, no SOCK_CLOEXEC
  UniqueFd s0(sv[0]), s1(sv[1]);
  ASSERT_GT(s1.get(), 2);

  ChildProcess cat({"cat"}, piped());
  // Once cat echoes a line it is past its start-up: the loader's files are closed again.
  write_all(cat.stdin_pipe().get(), as_bytes("ready\n"));
  std::array<std::uint8_t, 6> echo{};
  ASSERT_EQ(read_full(cat.stdout_pipe().get(), echo), echo.size());
  std::set<std::string> fds;
  for (const auto& e : fs::directory_iterator("/proc/" + std::to_string(cat.pid()) + "/fd"))
    fds.insert(e.path().filename().string());
  EXPECT_EQ(fds, (std::set<std::string>{"0", "1", "2"}));
  cat.stdin_pipe().reset();
  EXPECT_TRUE(ChildProcess::succeeded(cat.wait()));
}

TEST(ChildProcess, SigpipeAtItsDefaultAndNothingBlocked) {
  // As a host may: SIGPIPE ignored, a signal blocked.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &old), 0);
  sigset_t usr1, old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &usr1, &old_mask), 0);
  ChildOptions o = piped();
  o.in = Redirect::null();
  ChildProcess grep({"grep", "-E", "^(SigBlk|SigIgn):", "/proc/self/status"}, o);
  ::sigaction(SIGPIPE, &old, nullptr);
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);

  std::string text;
  std::array<std::uint8_t, 256> buf{};
  while (std::size_t n = read_some(grep.stdout_pipe().get(), buf))
    text.append(as_chars(std::span(buf).first(n)));
  EXPECT_TRUE(ChildProcess::succeeded(grep.wait()));
  std::istringstream lines(text);
  std::string name, hex;
  std::map<std::string, unsigned long long> masks;
  while (lines >> name >> hex) masks[name] = std::stoull(hex, nullptr, 16);
  ASSERT_EQ(masks.size(), 2u) << text;
  EXPECT_EQ(masks["SigBlk:"], 0u) << text;
  EXPECT_EQ(masks["SigIgn:"] & (1ULL << (SIGPIPE - 1)), 0u) << text;
}

TEST(ChildProcess, RedirectsAndEnvironment) {
  Folder dir;
  ChildOptions o;
  o.out = Redirect::file(dir.path() / "out");
  o.err = Redirect::to_stdout();
  o.environment = std::vector<std::string>{"PATH=/usr/bin:/bin", "KEPT=ours"};
  o.environment_defaults = {"KEPT=default", "ADDED=default"};
  ChildProcess sh({"sh", "-c", "echo \"$KEPT $ADDED\"; echo to-stderr >&2; exit 3"}, o);
  const int status = sh.wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_FALSE(ChildProcess::succeeded(status));
  EXPECT_EQ(sh.wait(), status);  // reaped once, remembered
  EXPECT_EQ(sh.status(), status);
  EXPECT_FALSE(sh.running());
  EXPECT_EQ(slurp(dir.path() / "out"), "ours default\nto-stderr\n");
  EXPECT_EQ(fs::status(dir.path() / "out").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  o.out = Redirect::file(dir.path() / "out", /*append=*/true);
  o.in = Redirect::file(dir.path() / "out");
  o.err = Redirect::null();
  EXPECT_TRUE(ChildProcess::succeeded(
      ChildProcess({"sh", "-c", "read line; echo \"read $line\""}, o).wait()));
  EXPECT_EQ(slurp(dir.path() / "out"), "ours default\nto-stderr\nread ours default\n");
}

TEST(ChildProcess, AProgramThatCannotRunIsAnError) {
  EXPECT_ERRC(ChildProcess({"/nonexistent/program"}), Errc::io);
  EXPECT_ERRC(ChildProcess({"recrypt-no-such-program"}), Errc::io);
  EXPECT_NE(test::message_of([] {
              ChildProcess({"recrypt-no-such-program"});
            }).find("cannot run recrypt-no-such-program"),
            std::string::npos);
  ChildOptions o;
  o.out = Redirect::file("/nonexistent/folder/out");
  EXPECT_ERRC(ChildProcess({"true"}, o), Errc::io);
}

TEST(ChildProcess, KillWaitAndTheDestructorReaps) {
  pid_t pid = -1;
  {
    ChildProcess sleeper({"sleep", "60"});
    pid = sleeper.pid();
    EXPECT_TRUE(sleeper.running());
    EXPECT_EQ(sleeper.try_wait(), std::nullopt);
  }
  // Killed and reaped: no zombie left, no child of that pid.
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);

  ChildProcess sleeper({"sleep", "60"});
  sleeper.kill(SIGTERM);
  const int status = sleeper.wait();
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
  sleeper.kill(SIGKILL);  // reaped: nothing is signalled
  EXPECT_EQ(sleeper.try_wait(), std::optional<int>(status));

  ChildProcess moved = std::move(sleeper);
  EXPECT_EQ(moved.status(), status);
  EXPECT_EQ(ChildProcess().wait(), -1);
}

class AtomicFileTest : public ::testing::TestWithParam<bool> {
 protected:
  AtomicFileOptions options() const {
    return {.sync = Sync::file_and_folder, .unnamed = GetParam()};
  }
};

TEST_P(AtomicFileTest, AppearsWholeOrNotAtAll) {
  Folder dir;
  const fs::path target = dir.path() / "out.txt";
  {
    AtomicFile f(target, 0600, options());
    EXPECT_EQ(f.named_temporary(), !GetParam());
    f.write(as_bytes("partial"));
    // destroyed without commit, as after a decryption error
  }
  EXPECT_EQ(dir.entries(), 0u);
  const mode_t umask = ::umask(077);
  {
    AtomicFile f(target, 0640, options());
    f.write(as_bytes("whole"));
    EXPECT_FALSE(fs::exists(target));
    if (!f.named_temporary()) {
      EXPECT_EQ(dir.entries(), 0u) << "an unnamed file has no name in the folder";
    }
    f.commit();
  }
  ::umask(umask);
  EXPECT_EQ(slurp(target), "whole");
  EXPECT_EQ(fs::status(target).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write |
                fs::perms::group_read);  // exactly, whatever the umask
  EXPECT_EQ(as_chars(read_file(target, 100)), "whole");
  EXPECT_ERRC(read_file(target, 3), Errc::too_large);
  write_file_atomic(target, as_bytes("again"), 0644);
  EXPECT_EQ(as_chars(read_file(target, 100)), "again");
  EXPECT_EQ(dir.entries(), 1u);
  EXPECT_ERRC(read_file(dir.path() / "missing", 100), Errc::io);
  EXPECT_ERRC(AtomicFile(dir.path() / "no-folder" / "out", 0600, options()), Errc::io);
}

TEST_P(AtomicFileTest, CommitIfAbsentNeverReplaces) {
  Folder dir;
  const fs::path target = dir.path() / "out.txt";
  {
    AtomicFile f(target, 0600, options());
    f.write(as_bytes("new"));
    std::ofstream(target) << "old";  // appeared while the new one was written
    EXPECT_FALSE(f.commit_if_absent());
    EXPECT_EQ(slurp(target), "old");
  }
  EXPECT_EQ(dir.entries(), 1u);  // nothing of its own left behind

  fs::remove(target);
  fs::create_symlink("nowhere", target);  // a dangling link is something there too
  {
    AtomicFile f(target, 0600, options());
    f.write(as_bytes("new"));
    EXPECT_FALSE(f.commit_if_absent());
  }
  EXPECT_TRUE(fs::is_symlink(target));
  EXPECT_EQ(dir.entries(), 1u);

  fs::remove(target);
  {
    AtomicFile f(target, 0600, options());
    f.write(as_bytes("new"));
    EXPECT_TRUE(f.commit_if_absent());
  }
  EXPECT_EQ(slurp(target), "new");
  EXPECT_EQ(dir.entries(), 1u);

  {  // refused, then told to replace after all
    AtomicFile f(target, 0600, options());
    f.write(as_bytes("newer"));
    EXPECT_FALSE(f.commit_if_absent());
    f.commit();
  }
  EXPECT_EQ(slurp(target), "newer");
  EXPECT_EQ(dir.entries(), 1u);
}

TEST_P(AtomicFileTest, CommitReplaces) {
  Folder dir;
  const fs::path target = dir.path() / "out.txt";
  std::ofstream(target) << "old";
  {
    AtomicFile f(target, 0600, options());
    f.write(as_bytes("new"));
    EXPECT_EQ(slurp(target), "old");
    f.commit();
    EXPECT_ERRC(f.commit(), Errc::internal);  // once
  }
  EXPECT_EQ(slurp(target), "new");
  EXPECT_EQ(dir.entries(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Base, AtomicFileTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "Unnamed" : "Named";
                         });

// The fallback's named temporary file goes when Ctrl-C ends the program.
TEST(AtomicFileDeathTest, ANamedTemporaryIsRemovedOnSigint) {
  Folder dir;
  EXPECT_EXIT(
      {
        ::signal(SIGINT, SIG_DFL);
        remove_temporaries_on_signals();
        AtomicFile f(dir.path() / "out", 0600, {.sync = Sync::none, .unnamed = false});
        f.write(as_bytes("an authenticated prefix"));
        if (dir.entries() != 1) std::_Exit(2);
        ::raise(SIGINT);
        std::_Exit(3);
      },
      ::testing::KilledBySignal(SIGINT), "");
  EXPECT_EQ(dir.entries(), 0u);
}

// A program started with SIGINT ignored (nohup, a script's background job) keeps it ignored.
TEST(AtomicFileDeathTest, AnIgnoredSignalStaysIgnored) {
  EXPECT_EXIT(
      {
        ::signal(SIGINT, SIG_IGN);
        remove_temporaries_on_signals();
        ::raise(SIGINT);
        std::_Exit(7);
      },
      ::testing::ExitedWithCode(7), "");
}

}  // namespace
}  // namespace recrypt
