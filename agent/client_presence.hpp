// Whether the client a request came from is still there. The socket server marks, for the time
// a worker thread runs one request, the connection that request came on (ServingClient); a
// method that takes many expensive steps (document.open: service calls, device operations)
// asks client_gone() between them and stops once the client has hung up, so that a client
// that left costs nothing more. Thread-local, so that the dispatcher's methods keep their
// (const Json&) signature; outside a ServingClient (a caller in-process) no client is gone.
#pragma once

namespace recrypt::agent {

class ServingClient {
 public:
  // `fd` is the connection's socket. It must stay open while this object lives: the socket
  // server keeps the connection, and starts no other operation on it, until the request ends.
  explicit ServingClient(int fd);
  ~ServingClient();
  ServingClient(const ServingClient&) = delete;
  ServingClient& operator=(const ServingClient&) = delete;

 private:
  int previous_;
};

// True when the client of the request this thread serves has hung up: the socket reports
// POLLHUP or POLLERR (a non-blocking poll, one system call). A half-close is not hanging up:
// a client that shut down its writing side after sending (as `socat` does) still reads the
// answer.
bool client_gone();

}  // namespace recrypt::agent
