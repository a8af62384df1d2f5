// service_load: N concurrent clients (64 by default) send signed RecryptData requests to a
// recryptd of its own over loopback. Prints requests/s and p50/p99 latency, and the ratio to
// the crypto floor measured in the same run: per request, one ES256 signature (client), one
// ES256 verification and one P-256 point multiplication (server), done in-process with no
// HTTP, JSON or storage, on 1 and on 2 threads. The verification uses a prepared key, as
// recryptd does for a known signer: building the key object is not per-request EC work.
//
//   service_load [--clients N] [--seconds S] [--server-threads T] [--client-threads C]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "tests/service/identities.hpp"
#include "tests/service/recryptd_process.hpp"
#include "bench/service/load_driver.hpp"

using namespace recrypt;
using Clock = std::chrono::steady_clock;

namespace {

// Runs the per-request EC work on `threads` threads for `seconds`; returns operations/s.
double crypto_floor(int threads, double seconds) {
  const Curve& curve = Curve::p256();
  std::atomic<long> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) {
    pool.emplace_back([&] {
      Scalar device = Scalar::random(curve);
      Scalar r = Scalar::random(curve);
      jws::VerifyKey device_pub(device.public_point());
      Point t = Scalar::random(curve).public_point();
      jws::Signer signer = jws::software_signer(device);
      std::string body = service::serialize_request(
          "RecryptData", service::RecryptDataRequest{"friends@example.com", "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF", t}.to_json());
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        std::string sig = service::sign_request(body, signer, "KID", "aud");
        service::verify_request(sig, body, device_pub);
        Point partial = recryption::partial(r, t);
        ++n;
      }
      total += n;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  return static_cast<double>(total) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 64;
  double seconds = 5;
  std::string server_threads = "2";
  int client_threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--clients")) clients = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::max(1.0, std::atof(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--server-threads")) server_threads = argv[i + 1];
    else if (!std::strcmp(argv[i], "--client-threads")) client_threads = std::max(1, std::atoi(argv[i + 1]));
  }
  try {
    double floor1_before = crypto_floor(1, 1.5);
    double floor2_before = crypto_floor(2, 1.5);
    test::RecryptdProcess server({"--threads", server_threads});
    server.start();
    auto alice = test::make_person("alice@example.com");
    test::TestGroup group("friends@example.com", server.url());
    {
      auto c = test::client_for(server.url(), *alice);
      c.publish_profile({alice->token()}, alice->profile_signer(), alice->id());
      c.create_group({group.token(), {group.entry_for(*alice, test::super_privs())}});
    }
    // Ephemeral keys made up front: a sender's t·G is not part of a recryption.
    std::vector<Point> ts;
    for (int i = 0; i < 256; ++i) ts.push_back(Scalar::random(Curve::p256()).public_point());

    // The clients are asynchronous connections on a couple of threads, not 64 threads: 64
    // runnable client threads would take the server's CPU share from it on a 2-core host
    // and measure the scheduler instead of the service.
    bench::LoadResult load = bench::drive_load(server.port(), server.url(), *alice, group, ts, clients, client_threads, seconds);
    server.stop();
    double elapsed = load.elapsed;
    long error_count = load.errors;
    std::vector<double>& all = load.latencies_ms;
    std::sort(all.begin(), all.end());
    double rps = static_cast<double>(all.size()) / elapsed;
    auto pct = [&](double p) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))]; };

    // The machine is shared: measure the floor before and after the load and average, so a
    // change in background load affects both sides of the ratio alike.
    double floor1 = (floor1_before + crypto_floor(1, 1.5)) / 2;
    double floor2 = (floor2_before + crypto_floor(2, 1.5)) / 2;
    std::printf("RecryptData over loopback: %d concurrent clients on %d threads, server %s threads, %u cores, %.1f s\n",
                clients, client_threads, server_threads.c_str(), std::thread::hardware_concurrency(), elapsed);
    std::printf("  requests/s            %10.0f   (errors %ld)\n", rps, error_count);
    std::printf("  latency p50 / p99     %10.2f / %.2f ms\n", pct(0.50), pct(0.99));
    std::printf("  crypto floor 1 thread %10.0f   (sign + verify + r*T per second)\n", floor1);
    std::printf("  crypto floor 2 threads%10.0f\n", floor2);
    std::printf("  achieved / floor(1t)  %10.2f\n", rps / floor1);
    std::printf("  achieved / floor(2t)  %10.2f   (target >= 0.80)\n", rps / floor2);
    return error_count == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "service_load: %s\n", e.what());
    return 1;
  }
}
