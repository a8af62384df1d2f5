#include "bench/service/load_driver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "protocol/service/envelope.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/request_signature.hpp"

namespace recrypt::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Shared {
  std::string audience;
  jws::Signer signer;
  std::string kid;
  std::vector<std::string> bodies;  // one per ephemeral key
  std::atomic<bool> measuring{false};
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::atomic<long> answered{0};
  std::mutex mutex;
  std::vector<double> latencies;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& ioc, Shared& shared, std::size_t first)
      : shared_(shared), stream_(ioc), next_(first) {}

  void start(const tcp::endpoint& endpoint) {
    stream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->fail("connect", ec);
      self->stream_.socket().set_option(tcp::no_delay(true), ec);
      self->send();
    });
  }

 private:
  void send() {
    if (shared_.stop) return;
    const std::string& body = shared_.bodies[next_++ % shared_.bodies.size()];
    req_ = {http::verb::post, "/.well-known/recrypt/", 11};
    req_.set(http::field::host, "127.0.0.1");
    req_.set(http::field::content_type, "application/json");
    req_.set("Recrypt-Signature",
             service::sign_request(body, shared_.signer, shared_.kid, shared_.audience));
    req_.keep_alive(true);
    req_.body() = body;
    req_.prepare_payload();
    started_ = Clock::now();
    http::async_write(stream_, req_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail("write", ec);
                        self->res_ = {};
                        http::async_read(self->stream_, self->buffer_, self->res_,
                                         [self](beast::error_code e, std::size_t) {
                                           if (e) return self->fail("read", e);
                                           self->received();
                                         });
                      });
  }

  void received() {
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    try {
      auto m = service::parse_response(res_.body(), 1 << 20, "RecryptData");
      service::RecryptDataResponse::from_json(m.body);
      ++shared_.answered;
      if (shared_.measuring) {
        std::lock_guard lock(shared_.mutex);
        shared_.latencies.push_back(ms);
      }
    } catch (const std::exception& e) {
      if (shared_.errors++ == 0) std::fprintf(stderr, "error: %s\n", e.what());
    }
    send();
  }

  void fail(const char* what, beast::error_code ec) {
    if (shared_.stop) return;
    if (shared_.errors++ == 0) std::fprintf(stderr, "error: %s: %s\n", what, ec.message().c_str());
  }

  Shared& shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  std::size_t next_;
  Clock::time_point started_;
};

}  // namespace

LoadResult drive_load(const std::vector<std::uint16_t>& ports, const std::string& audience,
                      const test::TestPerson& member, const test::TestGroup& group,
                      const std::vector<Point>& ephemerals, int connections, int threads,
                      double seconds) {
  Shared shared;
  shared.audience = audience;
  shared.signer = member.devices[0]->signer();
  shared.kid = member.devices[0]->kid();
  for (const Point& t : ephemerals)
    shared.bodies.push_back(service::serialize_request(
        "RecryptData", service::RecryptDataRequest{group.name, group.key_id(), t}.to_json()));

  // One event loop per thread, each with its share of the connections: no handler crosses
  // threads, so nothing wakes another thread or waits on a shared queue's lock.
  std::vector<std::unique_ptr<net::io_context>> loops;
  for (int i = 0; i < threads; ++i) loops.push_back(std::make_unique<net::io_context>(1));
  auto loopback = net::ip::make_address("127.0.0.1");
  for (int i = 0; i < connections; ++i)
    std::make_shared<Connection>(*loops[static_cast<std::size_t>(i % threads)], shared,
                                 static_cast<std::size_t>(i) * 7)
        ->start(tcp::endpoint(loopback, ports[static_cast<std::size_t>(i) % ports.size()]));
  std::vector<std::thread> pool;
  for (auto& loop : loops) pool.emplace_back([&loop] { loop->run(); });

  std::this_thread::sleep_for(std::chrono::seconds(1));
  shared.measuring = true;
  auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  shared.measuring = false;
  LoadResult out;
  out.elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  shared.stop = true;
  for (auto& loop : loops) loop->stop();
  for (auto& t : pool) t.join();
  out.errors = shared.errors;
  out.answered = shared.answered;
  std::lock_guard lock(shared.mutex);
  out.latencies_ms = std::move(shared.latencies);
  return out;
}

}  // namespace recrypt::bench
