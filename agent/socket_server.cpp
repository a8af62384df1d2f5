#include "agent/socket_server.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "agent/client_presence.hpp"
#include "agent/log.hpp"
#include "protocol/agent/rpc.hpp"

namespace recrypt::agent {
namespace asio = boost::asio;
using asio::local::stream_protocol;
namespace fs = std::filesystem;

class SocketServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(SocketServer& server, stream_protocol::socket socket)
      : server_(server), socket_(std::move(socket)), buffer_(server.limits_.max_line + 1) {}

  void start() {
    if (!peer_is_us()) return;  // dropping the last reference closes the socket
    read_next();
  }

 private:
  bool peer_is_us() {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      log_event("warning", "cannot read peer credentials; connection refused");
      return false;
    }
    if (cred.uid != ::geteuid()) {
      log_event("warning", "refused a connection from uid " + std::to_string(cred.uid) + " (pid " +
                               std::to_string(cred.pid) + ")");
      return false;
    }
    peer_pid_ = cred.pid;
    return true;
  }

  void read_next() {
    auto self = shared_from_this();
    asio::async_read_until(
        socket_, buffer_, '\n', [self](boost::system::error_code ec, std::size_t n) {
          if (ec == asio::error::not_found) {
            // A line longer than the limit: answer once, then hang up, since we cannot find the
            // start of the next message.
            self->reply_and_close(
                R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"message exceeds the size limit"}})"
                "\n");
            return;
          }
          if (ec) return;  // peer closed or reset
          std::string line(
              asio::buffers_begin(self->buffer_.data()),
              asio::buffers_begin(self->buffer_.data()) + static_cast<std::ptrdiff_t>(n - 1));
          self->buffer_.consume(n);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty()) {
            self->read_next();
            return;
          }
          // The socket stays open, with no operation on it, until the answer is written: the
          // worker may ask the kernel whether the client hung up (client_presence.hpp).
          int fd = self->socket_.native_handle();
          asio::post(self->server_.workers_, [self, fd, line = std::move(line)]() mutable {
            SecureString response;
            try {
              ServingClient serving(fd);
              response = self->server_.handler_(line, self->peer_pid_);
            } catch (const std::exception& e) {
              // Nothing one request throws may end the agent (an exception leaving a worker thread
              // would): the client gets an error, the detail goes to the log only.
              log_event("error", std::string("request failed outside its method: ") + e.what());
              response = agent_rpc::make_error(nullptr, agent_rpc::Code::internal_error,
                                               "internal error (see the agent's log)");
            }
            asio::post(self->socket_.get_executor(),
                       [self, response = std::move(response)]() mutable {
                         self->write_and_continue(std::move(response));
                       });
          });
        });
  }

  void write_and_continue(SecureString response) {
    if (response.empty()) {
      read_next();
      return;
    }
    auto self = shared_from_this();
    auto data = std::make_shared<SecureString>(std::move(response));
    asio::async_write(socket_, asio::buffer(*data),
                      [self, data](boost::system::error_code ec, std::size_t) {
                        if (!ec) self->read_next();
                      });
  }

  void reply_and_close(std::string response) {
    auto self = shared_from_this();
    auto data = std::make_shared<std::string>(std::move(response));
    asio::async_write(socket_, asio::buffer(*data),
                      [self, data](boost::system::error_code, std::size_t) {
                        boost::system::error_code ignored;
                        self->socket_.shutdown(stream_protocol::socket::shutdown_both, ignored);
                      });
  }

  SocketServer& server_;
  int peer_pid_ = 0;
  stream_protocol::socket socket_;
  asio::streambuf buffer_;
  // Shared counter: this connection counts until it is destroyed.
  struct Slot {
    std::shared_ptr<std::atomic<std::size_t>> counter;
    explicit Slot(std::shared_ptr<std::atomic<std::size_t>> c) : counter(std::move(c)) {
      ++*counter;
    }
    ~Slot() { --*counter; }
  } slot_{server_.open_connections_};
};

SocketServer::SocketServer(asio::io_context& io, const fs::path& socket_path, int inherited_fd,
                           LineHandler handler, ServerLimits limits)
    : io_(io),
      acceptor_(io),
      socket_path_(socket_path),
      owns_socket_file_(inherited_fd < 0),
      handler_(std::move(handler)),
      limits_(limits),
      workers_(limits.workers),
      open_connections_(std::make_shared<std::atomic<std::size_t>>(0)) {
  if (inherited_fd >= 0) {
    acceptor_.assign(stream_protocol(), inherited_fd);
    return;
  }
  ::unlink(socket_path.c_str());  // stale: the instance lock says no other agent runs
  // The socket is created 0600 by the umask, not chmod'ed afterwards, so it is never open to
  // others even for an instant.
  mode_t old = ::umask(0177);
  acceptor_.open(stream_protocol());
  acceptor_.bind(stream_protocol::endpoint(socket_path.string()));
  ::umask(old);
  acceptor_.listen();
}

SocketServer::~SocketServer() {
  stop();
  workers_.join();
}

void SocketServer::start() { accept_next(); }

void SocketServer::stop() {
  boost::system::error_code ignored;
  if (acceptor_.is_open()) {
    acceptor_.close(ignored);
    if (owns_socket_file_) ::unlink(socket_path_.c_str());
  }
}

void SocketServer::accept_next() {
  acceptor_.async_accept([this](boost::system::error_code ec, stream_protocol::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (*open_connections_ >= limits_.max_connections) {
        log_event("warning", "connection limit reached; connection refused");
      } else {
        std::make_shared<Connection>(*this, std::move(socket))->start();
      }
    }
    accept_next();
  });
}

int take_instance_lock(const fs::path& socket_path) {
  fs::path lock_path = socket_path;
  lock_path += ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int systemd_listen_fd() {
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (pid == nullptr || fds == nullptr) return -1;
  if (std::strtol(pid, nullptr, 10) != ::getpid() || std::strtol(fds, nullptr, 10) < 1) return -1;
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START
  ::fcntl(kFirstFd, F_SETFD, FD_CLOEXEC);
  return kFirstFd;
}

}  // namespace recrypt::agent
