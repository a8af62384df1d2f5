#include "agent/pinentry.hpp"

#include <signal.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <initializer_list>
#include <utility>
#include <cstdio>
#include <stdexcept>

#include "base/child_process.hpp"
#include "base/io.hpp"
#include "base/sigpipe_guard.hpp"
#include "base/error.hpp"

namespace recrypt::agent {
namespace {

constexpr std::chrono::minutes kTimeout{5};  // a prompt left alone gives up, like gpg-agent's
constexpr std::size_t kMaxLine = 4096;

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The pinentry program on two pipes. It inherits nothing of the agent but the pipes and
// stderr: no listening socket, no client connection, no TPM or token descriptor
// (base/child_process.hpp closes every other descriptor in the child).
class Pinentry {
 public:
  explicit Pinentry(const std::string& program) : child_({program}, pipes()) {}

  ~Pinentry() {
    // End of input asks pinentry to leave; SIGTERM makes sure, and wait() reaps it.
    child_.stdin_pipe().reset();
    child_.stdout_pipe().reset();
    child_.kill(SIGTERM);
    child_.wait();
    secure_wipe(pending_.data(), pending_.size());
  }
  Pinentry(const Pinentry&) = delete;
  Pinentry& operator=(const Pinentry&) = delete;

  void send(const std::string& line) {
    const std::string data = line + "\n";
    // A pinentry that exited would raise SIGPIPE, which would end the agent.
    const SigpipeGuard no_sigpipe;
    try {
      write_all(child_.stdin_pipe().get(), as_bytes(data));
    } catch (const Error&) {
      throw std::runtime_error("pinentry closed its input");
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
      const int out = child_.stdout_pipe().get();
      if (!wait_readable(out, kTimeout)) throw std::runtime_error("pinentry timed out");
      std::array<std::uint8_t, 512> buf{};
      std::size_t n = 0;
      try {
        n = read_some(out, buf);
      } catch (const Error&) {
        n = 0;
      }
      if (n == 0) throw std::runtime_error("pinentry exited unexpectedly");
      pending_.append(reinterpret_cast<const char*>(buf.data()), n);
      secure_wipe(buf.data(), buf.size());
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
          if (line[i] == '%' && i + 2 < line.size() && hex(line[i + 1]) >= 0 &&
              hex(line[i + 2]) >= 0) {
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
  static ChildOptions pipes() {
    ChildOptions o;
    o.in = Redirect::pipe();
    o.out = Redirect::pipe();
    return o;
  }
  ChildProcess child_;
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

namespace {

// Waits for pinentry's greeting, then sends each (command, text) whose text is not empty.
void greet_and_set(Pinentry& p,
                   std::initializer_list<std::pair<const char*, const std::string&>> settings) {
  if (!p.transact(nullptr)) throw std::runtime_error("pinentry did not greet");
  for (const auto& [command, value] : settings) {
    if (value.empty()) continue;
    p.send(std::string(command) + " " + assuan_escape(value));
    p.transact(nullptr);
  }
}

}  // namespace

std::optional<SecureString> ask_pinentry(const std::string& program, const PinentryPrompt& prompt) {
  Pinentry p(program);
  greet_and_set(p, {{"SETTITLE", prompt.title},
                    {"SETDESC", prompt.description},
                    {"SETPROMPT", prompt.prompt},
                    {"SETERROR", prompt.error}});
  p.send("GETPIN");
  SecureString pin;
  if (!p.transact(&pin)) return std::nullopt;  // cancelled (ERR 83886179) or failed
  p.send("BYE");
  return pin;
}

bool confirm_pinentry(const std::string& program, const ConfirmPrompt& prompt) {
  Pinentry p(program);
  greet_and_set(p, {{"SETTITLE", prompt.title},
                    {"SETDESC", prompt.description},
                    {"SETOK", prompt.ok},
                    {"SETCANCEL", prompt.cancel}});
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
