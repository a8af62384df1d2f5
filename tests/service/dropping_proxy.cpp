#include "tests/service/dropping_proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <thread>

namespace recrypt::test {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// One client connection and its connection to the service. Everything runs on the proxy's
// one io_context thread.
struct Pipe : std::enable_shared_from_this<Pipe> {
  Pipe(tcp::socket c, net::io_context& ioc, std::atomic<int>& drop, std::atomic<int>& dropped)
      : client(std::move(c)), upstream(ioc), to_drop(drop), dropped_count(dropped) {}

  tcp::socket client;
  tcp::socket upstream;
  std::atomic<int>& to_drop;
  std::atomic<int>& dropped_count;
  std::array<char, 16384> up_buf{};
  std::array<char, 16384> down_buf{};

  void close() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
  }

  // Requests: client → service.
  void pump_requests() {
    client.async_read_some(net::buffer(up_buf), [self = shared_from_this()](auto ec, auto n) {
      if (ec) return self->close();
      net::async_write(self->upstream, net::buffer(self->up_buf, n), [self](auto wec, auto) {
        if (wec) return self->close();
        self->pump_requests();
      });
    });
  }

  // Answers: service → client, unless this one is to be dropped.
  void pump_answers() {
    upstream.async_read_some(net::buffer(down_buf), [self = shared_from_this()](auto ec, auto n) {
      if (ec) return self->close();
      for (int left = self->to_drop; left > 0;)
        if (self->to_drop.compare_exchange_weak(left, left - 1)) {
          ++self->dropped_count;
          return self->close();
        }
      net::async_write(self->client, net::buffer(self->down_buf, n), [self](auto wec, auto) {
        if (wec) return self->close();
        self->pump_answers();
      });
    });
  }
};

}  // namespace

struct DroppingProxy::Impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0)};
  tcp::endpoint upstream;
  std::thread thread;

  void accept(DroppingProxy& proxy) {
    acceptor.async_accept([this, &proxy](boost::system::error_code ec, tcp::socket s) {
      if (ec) return;
      auto pipe = std::make_shared<Pipe>(std::move(s), ioc, proxy.to_drop_, proxy.dropped_);
      boost::system::error_code cec;
      pipe->upstream.connect(upstream, cec);
      if (cec) {
        pipe->close();
      } else {
        pipe->pump_requests();
        pipe->pump_answers();
      }
      accept(proxy);
    });
  }
};

DroppingProxy::DroppingProxy(std::uint16_t upstream_port) : impl_(std::make_unique<Impl>()) {
  impl_->upstream = tcp::endpoint(net::ip::address_v4::loopback(), upstream_port);
  impl_->accept(*this);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

DroppingProxy::~DroppingProxy() {
  impl_->ioc.stop();
  impl_->thread.join();
}

std::string DroppingProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

}  // namespace recrypt::test
