#include "tests/agent/older_service_proxy.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <sys/socket.h>

#include <atomic>
#include <list>
#include <mutex>
#include <thread>

#include "protocol/service/envelope.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::test {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

struct OlderServiceProxy::Impl {
  std::string unknown;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc, tcp::endpoint(net::ip::address_v4::loopback(), 0)};
  std::atomic<std::uint16_t> upstream_port{0};
  std::atomic<int> refused{0};
  std::thread accepting;
  std::mutex mutex;
  std::list<tcp::socket> clients;  // shut down on destruction, so that their threads end
  std::list<std::thread> serving;

  // The transaction a request body names, or "" when it names none.
  static std::string transaction_of(const std::string& body) {
    try {
      return service::parse_request(body, 1 << 20).name;
    } catch (const std::exception&) {
      return "";
    }
  }

  void serve(tcp::socket& client) {
    boost::beast::flat_buffer from_client;
    boost::beast::flat_buffer from_upstream;
    tcp::socket upstream(ioc);
    boost::system::error_code ec;
    for (;;) {
      http::request<http::string_body> request;
      http::read(client, from_client, request, ec);
      if (ec) return;
      http::response<http::string_body> answer;
      if (transaction_of(request.body()) == unknown) {
        ++refused;
        answer.result(http::status::bad_request);
        answer.set(http::field::content_type, "application/json");
        answer.body() = service::serialize_response(
            "Error", service::status::kMalformed, service::unknown_transaction_description(unknown),
            Json::object());
      } else {
        if (!upstream.is_open()) {
          upstream.connect({net::ip::address_v4::loopback(), upstream_port.load()}, ec);
          if (ec) return;
        }
        http::write(upstream, request, ec);
        if (!ec) http::read(upstream, from_upstream, answer, ec);
        if (ec) return;
      }
      answer.version(request.version());
      answer.keep_alive(request.keep_alive());
      answer.prepare_payload();
      http::write(client, answer, ec);
      if (ec || !request.keep_alive()) return;
    }
  }

  void accept() {
    for (;;) {
      tcp::socket s(ioc);
      boost::system::error_code ec;
      acceptor.accept(s, ec);
      if (ec) return;  // closed: the proxy is going
      std::lock_guard guard(mutex);
      tcp::socket& client = clients.emplace_back(std::move(s));
      serving.emplace_back([this, &client] { serve(client); });
    }
  }
};

OlderServiceProxy::OlderServiceProxy(std::string unknown_transaction)
    : impl_(std::make_unique<Impl>()) {
  impl_->unknown = std::move(unknown_transaction);
  impl_->accepting = std::thread([this] { impl_->accept(); });
}

OlderServiceProxy::~OlderServiceProxy() {
  boost::system::error_code ec;
  // The acceptor's thread is blocked in accept(): a shutdown of the listening socket wakes it.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->accepting.join();
  std::lock_guard guard(impl_->mutex);
  for (tcp::socket& s : impl_->clients) s.shutdown(tcp::socket::shutdown_both, ec);
  for (std::thread& t : impl_->serving) t.join();
}

void OlderServiceProxy::set_upstream(std::uint16_t port) { impl_->upstream_port = port; }

std::string OlderServiceProxy::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

int OlderServiceProxy::refused() const { return impl_->refused; }

}  // namespace recrypt::test
