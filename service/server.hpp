// The HTTP/1.1 front of recryptd (Boost.Beast): accepts connections, enforces the transport
// limits (body and header size, connection count, read deadlines), hands each POST to the
// Service and writes its answer. The only translation unit of the server that sees Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "service/service.hpp"

namespace recrypt::service {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string cert_file;  // TLS when both are set
  std::string key_file;
  std::size_t max_body = 1 << 20;
  std::size_t max_header = 16 * 1024;
  std::size_t max_connections = 1024;
  std::chrono::milliseconds read_timeout{
      10000};            // a whole request (or the next one) must arrive within this
  unsigned threads = 0;  // 0: hardware concurrency
};

class Server {
 public:
  explicit Server(ServerConfig config);
  ~Server();
  // Binds; after this, port() is the bound port (the default audience depends on it).
  void bind();
  std::uint16_t port() const;
  // Serves until SIGTERM or SIGINT, then stops accepting, lets requests in flight finish
  // (up to a few seconds) and returns.
  void run(Service& service);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrypt::service
