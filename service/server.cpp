#include "service/server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "protocol/service/envelope.hpp"
#include "protocol/service/service_error.hpp"
#include "service/request_log.hpp"

namespace recrypt::service {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

using Clock = std::chrono::steady_clock;

beast::string_view bsv(std::string_view s) { return {s.data(), s.size()}; }

struct Shared {
  Service* service = nullptr;
  ServerConfig config;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> in_flight{0};  // requests read and not yet answered
};

// One connection. Everything it does runs on its strand (the stream's executor), so the
// session needs no locks; the Service's answer is posted back onto that strand.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(Shared& shared, std::string peer, Args&&... args)
      : shared_(shared), peer_(std::move(peer)), stream_(std::forward<Args>(args)...) {}
  ~Session() { --shared_.connections; }

  void start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->read(); });
    } else {
      beast::get_lowest_layer(stream_).expires_after(shared_.config.read_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    }
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(shared_.config.max_body);
    parser_->header_limit(static_cast<std::uint32_t>(shared_.config.max_header));
    // One deadline for the whole request: a client that dribbles bytes is cut off at it.
    // An idle kept-alive connection gets the same deadline, so it cannot be used to hold a
    // connection slot longer either.
    beast::get_lowest_layer(stream_).expires_after(shared_.config.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  // curl and others send "Expect: 100-continue" with larger bodies and wait for the interim
  // answer before sending the body.
  void on_header(beast::error_code ec) {
    if (ec) return on_read(ec);
    auto& req = parser_->get();
    if (beast::iequals(req[http::field::expect], "100-continue") && !parser_->is_done()) {
      continue_.emplace(http::status::continue_, 11);
      http::async_write(stream_, *continue_,
                        [self = this->shared_from_this()](beast::error_code e, std::size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    started_ = Clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return close();
    if (ec == http::error::body_limit)
      return answer(
          Service::error_reply(status::kTooLarge, "request body is larger than the limit"), false);
    if (ec == http::error::header_limit)
      return answer(Service::error_reply(431, "request header is larger than the limit"), false);
    if (ec)
      return answer(Service::error_reply(status::kMalformed, "malformed HTTP request"), false);

    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    if (req.target() != bsv(kPath))
      return answer(Service::error_reply(status::kNotFound,
                                         "no such resource; POST to /.well-known/recrypt/"),
                    keep_alive_);
    if (req.method() != http::verb::post)
      return answer(Service::error_reply(status::kMalformed, "only POST is served"), keep_alive_);
    auto ct = req[http::field::content_type];
    if (ct.substr(0, 16) != "application/json")
      return answer(
          Service::error_reply(status::kMalformed, "Content-Type must be application/json"),
          keep_alive_);
    ++shared_.in_flight;
    counted_ = true;
    std::string signature(req[bsv(kSignatureHeader)]);
    std::string body = std::move(req.body());
    // Nothing reads from the stream while the service works on the request.
    beast::get_lowest_layer(stream_).expires_never();
    shared_.service->handle(
        std::move(body), std::move(signature), [self = this->shared_from_this()](Reply reply) {
          net::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable {
            self->answer(std::move(reply), self->keep_alive_);
          });
        });
  }

  void answer(Reply reply, bool keep_alive) {
    log_request({reply.type, reply.status, reply.kid, reply.group, peer_,
                 std::chrono::duration<double, std::milli>(Clock::now() - started_).count()});
    response_.emplace(static_cast<http::status>(reply.status), 11);
    response_->set(http::field::server, "recryptd");
    response_->set(http::field::content_type, "application/json");
    if (reply.retry_after > 0)
      response_->set(http::field::retry_after, std::to_string(reply.retry_after));
    response_->keep_alive(keep_alive);
    response_->body() = std::move(reply.body);
    response_->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(shared_.config.read_timeout);
    http::async_write(
        stream_, *response_,
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (self->counted_) {
            --self->shared_.in_flight;
            self->counted_ = false;
          }
          if (ec || !keep_alive) return self->close();
          self->read();
        });
  }

  void close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    }
  }

  Shared& shared_;
  std::string peer_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::optional<http::response<http::empty_body>> continue_;
  bool keep_alive_ = false;
  bool counted_ = false;
  Clock::time_point started_ = Clock::now();
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerConfig config)
      : shared{nullptr, std::move(config)},
        ioc(static_cast<int>(threads())),
        acceptor(ioc),
        signals(ioc, SIGINT, SIGTERM),
        stop_timer(ioc) {}

  unsigned threads() const {
    unsigned n =
        shared.config.threads != 0 ? shared.config.threads : std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }

  void accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (acceptor.is_open()) accept();
        return;
      }
      if (++shared.connections > shared.config.max_connections) {
        // Over the limit: refuse by closing at once rather than queueing without bound.
        --shared.connections;
        beast::error_code ignored;
        socket.close(ignored);
        return accept();
      }
      socket.set_option(tcp::no_delay(true), ec);
      beast::error_code peer_ec;
      auto endpoint = socket.remote_endpoint(peer_ec);
      std::string peer =
          peer_ec ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
      if (tls) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(shared, std::move(peer),
                                                                        std::move(socket), *tls)
            ->start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(shared, std::move(peer), std::move(socket))
            ->start();
      }
      accept();
    });
  }

  void wait_for_quiet(int rounds_left) {
    if (shared.in_flight == 0 || rounds_left == 0) {
      ioc.stop();
      return;
    }
    stop_timer.expires_after(std::chrono::milliseconds(50));
    stop_timer.async_wait(
        [this, rounds_left](beast::error_code) { wait_for_quiet(rounds_left - 1); });
  }

  Shared shared;
  net::io_context ioc;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer stop_timer;
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;

void Server::bind() {
  const ServerConfig& c = impl_->shared.config;
  if (!c.cert_file.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                            ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                            ssl::context::no_tlsv1_1);
    impl_->tls->use_certificate_chain_file(c.cert_file);
    impl_->tls->use_private_key_file(c.key_file, ssl::context::pem);
  }
  tcp::endpoint endpoint(net::ip::make_address(c.host), c.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(net::socket_base::max_listen_connections);
}

std::uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run(Service& service) {
  impl_->shared.service = &service;
  impl_->signals.async_wait([this](beast::error_code ec, int) {
    if (ec) return;
    log_event("shutdown", "signal received; finishing requests in flight");
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->wait_for_quiet(100);  // 5 s at most
  });
  impl_->accept();
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < impl_->threads(); ++i)
    workers.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : workers) t.join();
}

}  // namespace recrypt::service
