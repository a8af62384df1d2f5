// The agent's Unix-socket front: accepts connections (on its own socket or one handed over by
// systemd), refuses peers of another uid, reads bounded lines and hands each to the
// dispatcher on a worker pool so that one slow request (a PIN prompt, a service call) does
// not stall other clients. While a worker runs a request, the connection it came on is the
// worker's ServingClient (client_presence.hpp), so that the request can stop once its client
// hangs up. Knows nothing of JSON-RPC.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/bytes.hpp"

namespace recrypt::agent {

// Turns one request line into one response line ("" for no answer); `peer_pid` is the
// client's pid as SO_PEERCRED gave it when it connected.
// Answers are SecureString: they may carry key material, and are wiped once written.
using LineHandler = std::function<SecureString(const std::string& line, int peer_pid)>;

struct ServerLimits {
  std::size_t max_line = 4 * 1024 * 1024;
  std::size_t max_connections = 64;
  std::size_t workers = 4;
};

class SocketServer {
 public:
  // Binds `socket_path` (socket 0600) in a folder make_socket_folder (paths.hpp) made or
  // checked, or adopts the systemd-passed fd when `inherited_fd` >= 0.
  SocketServer(boost::asio::io_context& io, const std::filesystem::path& socket_path,
               int inherited_fd, LineHandler handler, ServerLimits limits);
  ~SocketServer();
  void start();
  void stop();  // closes the acceptor; open connections end after their current request

 private:
  class Connection;
  void accept_next();

  boost::asio::io_context& io_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::filesystem::path socket_path_;
  bool owns_socket_file_;
  LineHandler handler_;
  ServerLimits limits_;
  boost::asio::thread_pool workers_;
  std::shared_ptr<std::atomic<std::size_t>> open_connections_;
};

// Takes an exclusive lock next to the socket (in its folder, which make_socket_folder made
// or checked) so that two agents of one user never run at once; returns the lock fd, or -1
// when another agent holds it.
int take_instance_lock(const std::filesystem::path& socket_path);

// The fd systemd passed (LISTEN_PID/LISTEN_FDS), or -1.
int systemd_listen_fd();

}  // namespace recrypt::agent
