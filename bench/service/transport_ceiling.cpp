#include "bench/service/transport_ceiling.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <optional>
#include <thread>
#include <vector>

#include "bench/service/protocol_work.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/request_signature.hpp"

namespace recrypt::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct Work {
  jws::VerifyKey key;
  Scalar r;
  Point t;
  std::string response_body;
  std::unique_ptr<ProtocolWork> protocol;  // set for CeilingWork::protocol
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(const Work& work, tcp::socket socket) : work_(work), stream_(std::move(socket)) {}

  void read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return;
    auto& req = parser_->get();
    auto sig = req["Recrypt-Signature"];
    try {
      if (work_.protocol) {
        // The answer comes from the store's writer once the request's row is committed; it
        // is written on this connection's strand, as recryptd does.
        return work_.protocol->serve(std::string_view(sig.data(), sig.size()), req.body(),
                                     [self = shared_from_this()](std::string response) {
                                       net::post(self->stream_.get_executor(),
                                                 [self, response = std::move(response)]() mutable {
                                                   self->write(std::move(response));
                                                 });
                                     });
      }
      // The floor's server half, nothing more.
      service::verify_request(std::string_view(sig.data(), sig.size()), req.body(), work_.key);
      Point partial = recryption::partial(work_.r, work_.t);
    } catch (const std::exception&) {
      return;  // the load generator counts the dropped connection as an error
    }
    write(work_.response_body);
  }

  void write(std::string body) {
    response_.emplace(http::status::ok, 11);
    response_->set(http::field::content_type, "application/json");
    response_->keep_alive(true);
    response_->body() = std::move(body);
    response_->prepare_payload();
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code e, std::size_t) {
                        if (!e) self->read();
                      });
  }

  const Work& work_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
};

}  // namespace

struct TransportCeiling::Impl {
  Impl(const Point& signer_key, std::string response_body, unsigned threads, CeilingWork kind)
      : work{jws::VerifyKey(signer_key), Scalar::random(signer_key.curve()),
             Scalar::random(signer_key.curve()).public_point(), response_body,
             kind == CeilingWork::protocol
                 ? std::make_unique<ProtocolWork>(signer_key, response_body)
                 : nullptr},
        ioc(static_cast<int>(threads)),
        acceptor(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {}

  void accept() {
    // Like recryptd: one event loop on all threads, a strand per connection.
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(work, std::move(socket))->read();
      accept();
    });
  }

  Work work;
  net::io_context ioc;
  tcp::acceptor acceptor;
  std::vector<std::thread> pool;
  ThreadCpuClocks clocks;
};

TransportCeiling::TransportCeiling(unsigned threads, const Point& signer_key,
                                   std::string response_body, CeilingWork work)
    : impl_(std::make_unique<Impl>(signer_key, std::move(response_body), threads, work)) {
  impl_->accept();
  for (unsigned i = 0; i < threads; ++i) {
    impl_->pool.emplace_back([this] { impl_->ioc.run(); });
    impl_->clocks.add(impl_->pool.back());
  }
  if (impl_->work.protocol) impl_->clocks.add(impl_->work.protocol->cpu_clocks());
}

TransportCeiling::~TransportCeiling() {
  impl_->ioc.stop();
  for (auto& t : impl_->pool) t.join();
  // The writer's last answers are posted to the stopped event loop, which must still exist.
  impl_->work.protocol.reset();
}

std::uint16_t TransportCeiling::port() const { return impl_->acceptor.local_endpoint().port(); }

double TransportCeiling::cpu_seconds() const { return impl_->clocks.seconds(); }

}  // namespace recrypt::bench
