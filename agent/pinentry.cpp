#include "agent/pinentry.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace recrypt::agent {
namespace {

constexpr int kTimeoutMs = 5 * 60 * 1000;  // a prompt left alone gives up, like gpg-agent's
constexpr std::size_t kMaxLine = 4096;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

class Pinentry {
 public:
  explicit Pinentry(const std::string& program) {
    int to_child[2], from_child[2];
    if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0)
      throw std::runtime_error("cannot create pipes for pinentry");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("cannot start pinentry");
    if (pid_ == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::execlp(program.c_str(), program.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = to_child[1];
    out_ = from_child[0];
  }

  ~Pinentry() {
    if (in_ >= 0) ::close(in_);
    if (out_ >= 0) ::close(out_);
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    secure_wipe(pending_.data(), pending_.size());
  }

  void send(const std::string& line) {
    std::string data = line + "\n";
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(in_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("pinentry closed its input");
      done += static_cast<std::size_t>(n);
    }
  }

  // One response line, in wiping memory since it may carry the PIN.
  SecureString read_line() {
    for (;;) {
      auto nl = pending_.find('\n');
      if (nl != SecureString::npos) {
        SecureString line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      if (pending_.size() > kMaxLine) throw std::runtime_error("pinentry sent an overlong line");
      pollfd p{out_, POLLIN, 0};
      int ready = ::poll(&p, 1, kTimeoutMs);
      if (ready == 0) throw std::runtime_error("pinentry timed out");
      if (ready < 0 && errno == EINTR) continue;
      char buf[512];
      ssize_t n = ::read(out_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("pinentry exited unexpectedly");
      pending_.append(buf, static_cast<std::size_t>(n));
      secure_wipe(buf, sizeof buf);
    }
  }

  // Reads until OK or ERR; collects D lines (unescaped) into data. The ERR line, if any, is
  // kept in last_error.
  bool transact(SecureString* data) {
    for (;;) {
      SecureString line = read_line();
      if (line.rfind("OK", 0) == 0) return true;
      if (line.rfind("ERR", 0) == 0) {
        last_error_.assign(line.data(), std::min<std::size_t>(line.size(), 200));
        return false;
      }
      if (line.rfind("D ", 0) == 0 && data != nullptr) {
        for (std::size_t i = 2; i < line.size(); ++i) {
          if (line[i] == '%' && i + 2 < line.size() && hex(line[i + 1]) >= 0 && hex(line[i + 2]) >= 0) {
            data->push_back(static_cast<char>(hex(line[i + 1]) * 16 + hex(line[i + 2])));
            i += 2;
          } else {
            data->push_back(line[i]);
          }
        }
      }
      // S (status) and # (comment) lines are informational.
    }
  }

  const std::string& last_error() const { return last_error_; }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  SecureString pending_;
  std::string last_error_;
};

// The user's "no": GPG_ERR_CANCELED (the Cancel button, Escape, closing the window) and
// GPG_ERR_NOT_CONFIRMED, both from the pinentry error source (5 << 24).
constexpr std::string_view kCancelled = "ERR 83886179";
constexpr std::string_view kNotConfirmed = "ERR 83886194";

}  // namespace

std::string assuan_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c == '%' || c < 0x20 || c == 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

std::optional<SecureString> ask_pinentry(const std::string& program, const PinentryPrompt& prompt) {
  Pinentry p(program);
  if (!p.transact(nullptr)) throw std::runtime_error("pinentry did not greet");
  auto set = [&p](const std::string& command, const std::string& value) {
    if (value.empty()) return;
    p.send(command + " " + assuan_escape(value));
    p.transact(nullptr);
  };
  set("SETTITLE", prompt.title);
  set("SETDESC", prompt.description);
  set("SETPROMPT", prompt.prompt);
  set("SETERROR", prompt.error);
  p.send("GETPIN");
  SecureString pin;
  if (!p.transact(&pin)) return std::nullopt;  // cancelled (ERR 83886179) or failed
  p.send("BYE");
  return pin;
}

bool confirm_pinentry(const std::string& program, const ConfirmPrompt& prompt) {
  Pinentry p(program);
  if (!p.transact(nullptr)) throw std::runtime_error("pinentry did not greet");
  auto set = [&p](const std::string& command, const std::string& value) {
    if (value.empty()) return;
    p.send(command + " " + assuan_escape(value));
    p.transact(nullptr);
  };
  set("SETTITLE", prompt.title);
  set("SETDESC", prompt.description);
  set("SETOK", prompt.ok);
  set("SETCANCEL", prompt.cancel);
  p.send("CONFIRM");
  if (p.transact(nullptr)) {
    p.send("BYE");
    return true;
  }
  auto is = [&p](std::string_view code) {
    std::string_view e = p.last_error();
    return e.substr(0, code.size()) == code && (e.size() == code.size() || e[code.size()] == ' ');
  };
  if (is(kCancelled) || is(kNotConfirmed)) return false;
  throw std::runtime_error("pinentry failed: " + p.last_error());
}

}  // namespace recrypt::agent
