// service_load: N concurrent clients (64 by default) send signed RecryptData requests to a
// recryptd of its own over loopback. Prints requests/s and p50/p99 latency, and the ratio to
// the crypto floor measured in the same run: per request, one ES256 signature (client), one
// ES256 verification and one P-256 point multiplication (server), done in-process with no
// HTTP, JSON or storage, on 2 threads. The verification uses a prepared key, as recryptd does
// for a known signer: building the key object is not per-request EC work.
//
// The same load also drives a transport ceiling (transport_ceiling.hpp): a bare Beast server
// doing only the floor's server work. Its ratio to the floor is what HTTP over loopback leaves
// on this host; recryptd's ratio to it is what recryptd itself costs.
//
// This host's speed drifts by tens of percent within a minute, so the run is made of rounds:
// floor, recryptd, ceiling, floor, recryptd, ceiling, ... and each ratio is taken within a
// round, against the mean of the floors on either side of it. The medians are the result.
//
//   service_load [--clients N] [--seconds S] [--rounds R] [--server-threads T] [--client-threads C]
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "tests/service/identities.hpp"
#include "tests/service/recryptd_process.hpp"
#include "bench/service/load_driver.hpp"
#include "bench/service/transport_ceiling.hpp"

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
          "RecryptData", service::RecryptDataRequest{"friends@example.com",
                                                     "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF", t}
                             .to_json());
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

// CPU seconds (user + system) a process has used: this one through getrusage, recryptd
// through /proc. Unlike wall time, it does not count what the host's other tenants take.
double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields 14 and 15 (utime, stime) follow the command name, which is in parentheses.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  std::size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

double percentile(const std::vector<double>& sorted, double p) {
  return sorted.empty()
             ? 0.0
             : sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int clients = 64;
  double seconds = 3;
  int rounds = 3;
  unsigned server_threads = 2;
  int client_threads = 2;
  CLI::App app{"Load recryptd with signed RecryptData requests and compare with the crypto floor"};
  app.add_option("--clients", clients, "concurrent connections")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "measured time of each load, per round")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--rounds", rounds, "rounds of floor, recryptd and ceiling")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--server-threads", server_threads, "recryptd's I/O threads")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--client-threads", client_threads, "the load generator's threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  try {
    test::RecryptdProcess server({"--threads", std::to_string(server_threads)});
    server.start();
    auto alice = test::make_person("alice@example.com");
    test::TestGroup group("friends@example.com", server.url());
    std::string sample_response;  // a real answer, for the transport ceiling to send back
    {
      auto c = test::client_for(server.url(), *alice);
      c.publish_profile({alice->token()}, alice->profile_signer(), alice->id());
      group.chain = service::MembershipState(group.id());
      c.create_group({group.token(),
                      {group.entry_for(*alice, test::super_privs())},
                      {group.record(service::RecordOp::genesis,
                                    {test::change(*alice, test::super_privs())})}});
      Point t = Scalar::random(Curve::p256()).public_point();
      sample_response = service::serialize_response(
          "RecryptData", 200, "OK", c.recrypt_data({group.name, group.key_id(), t}).to_json());
    }
    bench::TransportCeiling ceiling(server_threads, alice->devices[0]->signing.public_point(),
                                    sample_response);
    // Ephemeral keys made up front: a sender's t·G is not part of a recryption.
    std::vector<Point> ts;
    for (int i = 0; i < 256; ++i) ts.push_back(Scalar::random(Curve::p256()).public_point());

    // The clients are asynchronous connections on a couple of threads, not 64 threads: 64
    // runnable client threads would take the server's CPU share from it on a 2-core host
    // and measure the scheduler instead of the service.
    std::printf(
        "RecryptData over loopback: %d concurrent clients on %d threads, server %u threads, %u "
        "cores, "
        "%d rounds of %.1f s\n",
        clients, client_threads, server_threads, std::thread::hardware_concurrency(), rounds,
        seconds);
    std::printf(
        "  round   floor(2t)/s  recryptd/s  ceiling/s   recryptd/floor  ceiling/floor  "
        "recryptd/ceiling\n");
    double floor_before = crypto_floor(2, 1.0);
    std::vector<double> rps, ceiling_rps, to_floor, ceiling_to_floor, to_ceiling, latencies;
    std::vector<double> recryptd_cpu_us, ceiling_cpu_us, client_cpu_us;  // CPU per request
    long errors = 0;
    for (int r = 1; r <= rounds; ++r) {
      // drive_load's warm-up second is inside these CPU readings, so each is divided by every
      // request answered in the run.
      double server_cpu0 = process_cpu_seconds(server.pid());
      double own_cpu0 = own_cpu_seconds();
      bench::LoadResult svc = bench::drive_load(server.port(), server.url(), *alice, group, ts,
                                                clients, client_threads, seconds);
      double server_cpu1 = process_cpu_seconds(server.pid());
      double own_cpu1 = own_cpu_seconds();
      bench::LoadResult bare = bench::drive_load(ceiling.port(), server.url(), *alice, group, ts,
                                                 clients, client_threads, seconds);
      double own_cpu2 = own_cpu_seconds();
      if (svc.answered == 0 || bare.answered == 0)
        throw std::runtime_error("no request was answered");
      double client_per_request = (own_cpu1 - own_cpu0) / static_cast<double>(svc.answered);
      client_cpu_us.push_back(client_per_request * 1e6);
      recryptd_cpu_us.push_back((server_cpu1 - server_cpu0) / static_cast<double>(svc.answered) *
                                1e6);
      // The ceiling runs in this process: its share is what the same client work leaves over.
      ceiling_cpu_us.push_back(
          ((own_cpu2 - own_cpu1) / static_cast<double>(bare.answered) - client_per_request) * 1e6);
      double floor_after = crypto_floor(2, 1.0);
      double floor2 = (floor_before + floor_after) / 2;
      floor_before = floor_after;
      errors += svc.errors + bare.errors;
      double a = static_cast<double>(svc.latencies_ms.size()) / svc.elapsed;
      double b = static_cast<double>(bare.latencies_ms.size()) / bare.elapsed;
      rps.push_back(a);
      ceiling_rps.push_back(b);
      to_floor.push_back(a / floor2);
      ceiling_to_floor.push_back(b / floor2);
      to_ceiling.push_back(a / b);
      latencies.insert(latencies.end(), svc.latencies_ms.begin(), svc.latencies_ms.end());
      std::printf("  %5d %12.0f %11.0f %10.0f %16.2f %14.2f %17.2f\n", r, floor2, a, b, a / floor2,
                  b / floor2, a / b);
    }
    server.stop();
    std::sort(latencies.begin(), latencies.end());
    std::printf("medians of %d rounds:\n", rounds);
    std::printf("  requests/s            %10.0f   (errors %ld)\n", median(rps), errors);
    std::printf("  latency p50 / p99     %10.2f / %.2f ms   (all rounds)\n",
                percentile(latencies, 0.50), percentile(latencies, 0.99));
    std::printf("  achieved / floor(2t)  %10.2f   (target >= 0.80)\n", median(to_floor));
    std::printf(
        "  ceiling / floor(2t)   %10.2f   (bare Beast server doing only the floor's server work: "
        "%.0f/s)\n",
        median(ceiling_to_floor), median(ceiling_rps));
    std::printf("  achieved / ceiling    %10.2f\n", median(to_ceiling));
    std::printf(
        "  CPU / request         %10.0f µs recryptd, %.0f µs ceiling, %.0f µs load generator\n",
        median(recryptd_cpu_us), median(ceiling_cpu_us), median(client_cpu_us));
    return errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "service_load: %s\n", e.what());
    return 1;
  }
}
