// service_load: N concurrent clients (64 by default) send signed RecryptData requests to
// recryptd over loopback, on each store configuration of --stores:
//   sqlite  one recryptd on a SQLite file;
//   pg1     one recryptd on a PostgreSQL cluster this program starts (fsync on: a durable
//           server, as deployed);
//   pg2     two recryptd on one database of that cluster, each with half the --server-threads
//           (at least 1) and one shared --audience, the clients spread round-robin over both.
// Prints requests/s and p50/p99 latency, the CPU each request costs recryptd (its instances
// together) and PostgreSQL (the postmaster and its children), and the ratio to the crypto
// floor measured in the same run: per request, one ES256 signature (client), one ES256
// verification and one P-256 point multiplication (server), done in-process with no HTTP,
// JSON or storage, on 2 threads. The verification uses a prepared key, as recryptd does for a
// known signer: building the key object is not per-request EC work.
//
// The same load also drives a transport ceiling (transport_ceiling.hpp): a bare Beast server
// doing only the floor's server work. Its ratio to the floor is what HTTP over loopback leaves
// on this host. No server that keeps an audit record per recryption can come near it, so the
// yardstick of recryptd's own cost is the protocol ceiling: the same server doing, besides,
// what every RecryptData server must (parse and check the request, fingerprint its key
// agreement, serialize the answer, commit one row of bookkeeping with group commit before
// answering; protocol_work.hpp). The target is on CPU, which other tenants of the host do not
// blur: recryptd's CPU per request at most 1.25 times the protocol ceiling server's, per store
// configuration, printed beside its requests/s and p99, and beside the same ratio to the bare
// ceiling (for information: 1.25 of that is out of reach of any such server).
//
// This host's speed drifts by tens of percent within a minute, so the run is made of rounds:
// floor, each store configuration, the bare ceiling, the protocol ceiling, floor, ... and
// each ratio is taken within a round, against the mean of the floors on either side of it.
// The medians are the result. CPU per request does not count what other tenants of the host
// take, but the rates do: on a shared host they are noisy.
//
// PostgreSQL's CPU is read from /proc before and after each load: the postmaster's own time
// and the time of the children it has reaped (cutime, cstime), plus the own time of every
// process whose parent it is. A backend that exits during the load is so counted too.
//
//   service_load [--stores LIST] [--clients N] [--seconds S] [--rounds R]
//                [--server-threads T] [--client-threads C]
#include <CLI/CLI.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <stdexcept>
#include <thread>
#include <vector>

#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "service/client/client.hpp"
#include "tests/service/identities.hpp"
#include "tests/service/postgres_server.hpp"
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

// CPU seconds (user + system) this process has used. Unlike wall time, it does not count
// what the host's other tenants take.
double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// A store configuration under load: its recryptd instances (one audience), the cluster they
// share when on PostgreSQL, and what each round measured.
struct Setup {
  std::string name;
  std::vector<std::unique_ptr<test::RecryptdProcess>> instances;
  const test::PostgresServer* cluster = nullptr;
  std::string audience;
  std::unique_ptr<test::TestGroup> group;
  long errors = 0;
  std::vector<double> rps, to_floor, to_ceiling, latencies, recryptd_cpu_us, postgres_cpu_us;
  // recryptd's CPU per request over each ceiling server's, each round against its own.
  std::vector<double> cpu_to_ceiling, cpu_to_protocol;

  std::vector<std::uint16_t> ports() const {
    std::vector<std::uint16_t> out;
    for (const auto& i : instances) out.push_back(i->port());
    return out;
  }
};

// Fields of /proc/PID/stat after the command name (which is in parentheses), from field 3
// on; empty when the process is gone.
std::vector<std::string> stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 > stat.size()) return {};
  std::istringstream rest(stat.substr(paren + 2));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

// Field `n` (1-based, as proc(5) numbers them) in seconds of CPU.
double ticks_field(const std::vector<std::string>& fields, std::size_t n) {
  return fields.size() >= n - 2
             ? std::stod(fields[n - 3]) / static_cast<double>(::sysconf(_SC_CLK_TCK))
             : 0.0;
}

// CPU seconds (utime + stime) a process and all its threads have used.
double process_cpu_seconds(pid_t pid) {
  auto f = stat_fields(pid);
  return ticks_field(f, 14) + ticks_field(f, 15);
}

// CPU seconds of a PostgreSQL cluster: the postmaster's own and its reaped children's
// (cutime, cstime), and the own time of each living child.
double postgres_cpu_seconds(pid_t postmaster) {
  auto f = stat_fields(postmaster);
  double total = ticks_field(f, 14) + ticks_field(f, 15) + ticks_field(f, 16) + ticks_field(f, 17);
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto child = stat_fields(static_cast<pid_t>(std::stol(name)));
    if (child.size() >= 2 && child[1] == std::to_string(postmaster))
      total += ticks_field(child, 14) + ticks_field(child, 15);
  }
  return total;
}

// Publishes the member's profile and creates the group on `url`; returns a real answer to a
// RecryptData, for the transport ceiling to send back.
std::string prepare_store(const std::string& url, const std::string& audience,
                          const test::TestPerson& member, test::TestGroup& group) {
  const test::TestDevice& device = *member.devices[0];
  service::Client c(url, audience, device.signer(), device.kid());
  c.publish_profile({member.token()}, member.profile_signer(), member.id());
  group.chain = service::MembershipState(group.id());
  c.create_group(
      {group.token(),
       {group.entry_for(member, test::super_privs())},
       {group.record(service::RecordOp::genesis, {test::change(member, test::super_privs())})}});
  Point t = Scalar::random(Curve::p256()).public_point();
  return service::serialize_response("RecryptData", 200, "OK",
                                     c.recrypt_data({group.name, group.key_id(), t}).to_json());
}

std::vector<std::string> split(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
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
  std::string stores = "sqlite,pg1,pg2";
  int clients = 64;
  double seconds = 3;
  int rounds = 3;
  unsigned server_threads = 2;
  int client_threads = 2;
  CLI::App app{"Load recryptd with signed RecryptData requests and compare with the crypto floor"};
  app.add_option("--stores", stores,
                 "store configurations, comma-separated: sqlite (one recryptd), pg1 (one "
                 "recryptd on PostgreSQL), pg2 (two recryptd on one PostgreSQL database)")
      ->capture_default_str()
      ->check([](const std::string& list) {
        auto names = split(list);
        if (names.empty()) return std::string("no store configuration");
        for (const auto& n : names)
          if (n != "sqlite" && n != "pg1" && n != "pg2")
            return "unknown store configuration " + n + " (sqlite, pg1, pg2)";
        return std::string();
      });
  app.add_option("--clients", clients, "concurrent connections")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seconds", seconds, "measured time of each load, per round")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--rounds", rounds,
                 "rounds of floor, each store configuration and the two ceilings")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  app.add_option("--server-threads", server_threads,
                 "recryptd's I/O threads (pg2: half of them, at least 1, for each instance)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 64u));
  app.add_option("--client-threads", client_threads, "the load generator's threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);
  try {
    auto alice = test::make_person("alice@example.com");
    std::vector<std::string> names = split(stores);
    std::optional<test::PostgresServer> cluster;
    std::vector<std::unique_ptr<Setup>> setups;
    std::string sample_response;  // a real answer, for the transport ceiling to send back
    const std::string threads = std::to_string(server_threads);
    const std::string half = std::to_string(std::max(1u, server_threads / 2));
    for (const std::string& name : names) {
      if (std::find_if(setups.begin(), setups.end(),
                       [&](const auto& s) { return s->name == name; }) != setups.end())
        continue;
      bool on_postgres = name != "sqlite";
      if (on_postgres && !cluster) {
        if (!test::PostgresServer::installed()) {
          std::printf("%s: skipped, PostgreSQL is not installed (no initdb)\n", name.c_str());
          continue;
        }
        cluster.emplace(test::PostgresServer::start_new({/*durable=*/true}));
      }
      auto s = std::make_unique<Setup>();
      s->name = name;
      if (name == "sqlite") {
        s->instances.push_back(std::make_unique<test::RecryptdProcess>(
            std::vector<std::string>{"--threads", threads}));
      } else if (name == "pg1") {
        s->instances.push_back(std::make_unique<test::RecryptdProcess>(
            std::vector<std::string>{"--threads", threads}, *cluster));
      } else {
        // Clients sign for one audience whichever instance they reach.
        std::vector<std::string> args{"--threads", half, "--audience", "https://recrypt.test"};
        s->instances.push_back(std::make_unique<test::RecryptdProcess>(args, *cluster));
        s->instances.push_back(std::make_unique<test::RecryptdProcess>(args, *s->instances[0]));
      }
      if (on_postgres) s->cluster = &*cluster;
      for (auto& i : s->instances) i->start();
      s->audience = name == "pg2" ? "https://recrypt.test" : s->instances[0]->url();
      s->group = std::make_unique<test::TestGroup>("friends@example.com", s->audience);
      std::string answer = prepare_store(s->instances[0]->url(), s->audience, *alice, *s->group);
      if (sample_response.empty()) sample_response = answer;
      setups.push_back(std::move(s));
    }
    if (setups.empty()) throw std::runtime_error("no store configuration to load");
    bench::TransportCeiling ceiling(server_threads, alice->devices[0]->signing.public_point(),
                                    sample_response);
    bench::TransportCeiling protocol(server_threads, alice->devices[0]->signing.public_point(),
                                     sample_response, bench::CeilingWork::protocol);
    // Ephemeral keys made up front: a sender's t·G is not part of a recryption.
    std::vector<Point> ts;
    for (int i = 0; i < 256; ++i) ts.push_back(Scalar::random(Curve::p256()).public_point());

    // The clients are asynchronous connections on a couple of threads, not 64 threads: 64
    // runnable client threads would take the server's CPU share from it on a 2-core host
    // and measure the scheduler instead of the service.
    std::printf(
        "RecryptData over loopback: %d concurrent clients on %d threads, server %u threads, %u "
        "cores, %d rounds of %.1f s\n",
        clients, client_threads, server_threads, std::thread::hardware_concurrency(), rounds,
        seconds);
    std::printf("  round  floor(2t)/s");
    for (const auto& s : setups) std::printf(" %10s/s", s->name.c_str());
    std::printf("  ceiling/s protocol/s\n");
    double floor_before = crypto_floor(2, 1.0);
    std::vector<double> ceiling_rps, ceiling_to_floor, ceiling_cpu_us, client_cpu_us;
    std::vector<double> protocol_rps, protocol_cpu_us, protocol_latencies;
    long ceiling_errors = 0;
    for (int r = 1; r <= rounds; ++r) {
      std::vector<double> round_rps;
      double client_cpu = 0;  // seconds per request, summed over the configurations
      for (auto& s : setups) {
        // drive_load's warm-up second is inside these CPU readings, so each is divided by
        // every request answered in the run.
        double server_cpu0 = 0, server_cpu1 = 0, pg_cpu0 = 0, pg_cpu1 = 0;
        for (auto& i : s->instances) server_cpu0 += process_cpu_seconds(i->pid());
        if (s->cluster != nullptr) pg_cpu0 = postgres_cpu_seconds(s->cluster->pid());
        double own_cpu0 = own_cpu_seconds();
        bench::LoadResult svc = bench::drive_load(s->ports(), s->audience, *alice, *s->group, ts,
                                                  clients, client_threads, seconds);
        double own_cpu1 = own_cpu_seconds();
        for (auto& i : s->instances) server_cpu1 += process_cpu_seconds(i->pid());
        if (s->cluster != nullptr) pg_cpu1 = postgres_cpu_seconds(s->cluster->pid());
        if (svc.answered == 0) throw std::runtime_error(s->name + ": no request was answered");
        double n = static_cast<double>(svc.answered);
        client_cpu += (own_cpu1 - own_cpu0) / n;
        s->recryptd_cpu_us.push_back((server_cpu1 - server_cpu0) / n * 1e6);
        s->postgres_cpu_us.push_back((pg_cpu1 - pg_cpu0) / n * 1e6);
        s->errors += svc.errors;
        s->rps.push_back(static_cast<double>(svc.latencies_ms.size()) / svc.elapsed);
        s->latencies.insert(s->latencies.end(), svc.latencies_ms.begin(), svc.latencies_ms.end());
        round_rps.push_back(s->rps.back());
      }
      double client_per_request = client_cpu / static_cast<double>(setups.size());
      client_cpu_us.push_back(client_per_request * 1e6);
      // The ceilings run in this process: their CPU is read from their own threads' clocks.
      double ceiling_cpu0 = ceiling.cpu_seconds();
      bench::LoadResult bare =
          bench::drive_load({ceiling.port()}, setups[0]->audience, *alice, *setups[0]->group, ts,
                            clients, client_threads, seconds);
      double ceiling_cpu1 = ceiling.cpu_seconds();
      if (bare.answered == 0) throw std::runtime_error("ceiling: no request was answered");
      ceiling_cpu_us.push_back((ceiling_cpu1 - ceiling_cpu0) / static_cast<double>(bare.answered) *
                               1e6);
      ceiling_errors += bare.errors;
      double protocol_cpu0 = protocol.cpu_seconds();
      bench::LoadResult proto =
          bench::drive_load({protocol.port()}, setups[0]->audience, *alice, *setups[0]->group, ts,
                            clients, client_threads, seconds);
      double protocol_cpu1 = protocol.cpu_seconds();
      if (proto.answered == 0)
        throw std::runtime_error("protocol ceiling: no request was answered");
      protocol_cpu_us.push_back((protocol_cpu1 - protocol_cpu0) /
                                static_cast<double>(proto.answered) * 1e6);
      ceiling_errors += proto.errors;
      protocol_rps.push_back(static_cast<double>(proto.latencies_ms.size()) / proto.elapsed);
      protocol_latencies.insert(protocol_latencies.end(), proto.latencies_ms.begin(),
                                proto.latencies_ms.end());
      double floor_after = crypto_floor(2, 1.0);
      double floor2 = (floor_before + floor_after) / 2;
      floor_before = floor_after;
      double b = static_cast<double>(bare.latencies_ms.size()) / bare.elapsed;
      ceiling_rps.push_back(b);
      ceiling_to_floor.push_back(b / floor2);
      std::printf("  %5d %12.0f", r, floor2);
      for (auto& s : setups) {
        s->to_floor.push_back(s->rps.back() / floor2);
        s->to_ceiling.push_back(s->rps.back() / b);
        s->cpu_to_ceiling.push_back(s->recryptd_cpu_us.back() / ceiling_cpu_us.back());
        s->cpu_to_protocol.push_back(s->recryptd_cpu_us.back() / protocol_cpu_us.back());
        std::printf(" %12.0f", s->rps.back());
      }
      std::printf(" %10.0f %10.0f\n", b, protocol_rps.back());
    }
    long errors = ceiling_errors;
    for (auto& s : setups) {
      errors += s->errors;
      for (auto it = s->instances.rbegin(); it != s->instances.rend(); ++it) (*it)->stop();
    }
    std::printf("medians of %d rounds (latency over all rounds; CPU in µs per request):\n", rounds);
    std::printf("  %-8s %10s %8s %8s %8s %9s %10s %10s %7s\n", "store", "requests/s", "p50 ms",
                "p99 ms", "/floor", "/ceiling", "recryptd", "postgres", "errors");
    for (auto& s : setups) {
      std::sort(s->latencies.begin(), s->latencies.end());
      std::string pg = s->cluster != nullptr
                           ? std::to_string(static_cast<long>(median(s->postgres_cpu_us)))
                           : std::string("-");
      std::printf("  %-8s %10.0f %8.2f %8.2f %8.2f %9.2f %10.0f %10s %7ld\n", s->name.c_str(),
                  median(s->rps), percentile(s->latencies, 0.50), percentile(s->latencies, 0.99),
                  median(s->to_floor), median(s->to_ceiling), median(s->recryptd_cpu_us),
                  pg.c_str(), s->errors);
    }
    std::printf(
        "  ceiling / floor(2t) %.2f (bare Beast server doing only the floor's server work: "
        "%.0f/s, %.0f µs CPU per request); load generator %.0f µs CPU per request\n",
        median(ceiling_to_floor), median(ceiling_rps), median(ceiling_cpu_us),
        median(client_cpu_us));
    std::sort(protocol_latencies.begin(), protocol_latencies.end());
    std::printf(
        "  protocol ceiling: %.0f/s, p50 %.2f ms, p99 %.2f ms, %.0f µs CPU per request (the bare "
        "server plus the request parsed, its key agreement fingerprinted, the answer serialized "
        "and one bookkeeping row committed)\n",
        median(protocol_rps), percentile(protocol_latencies, 0.50),
        percentile(protocol_latencies, 0.99), median(protocol_cpu_us));
    // What recryptd itself costs beyond what any RecryptData server must do: the target is at
    // most 1.25 times the protocol ceiling server's CPU per request. The ratio to the bare
    // ceiling stays beside it, for information.
    std::printf(
        "  target: recryptd CPU per request / protocol ceiling CPU per request <= 1.25; beside "
        "it / bare ceiling (information only: 1.25 of the bare ceiling is out of reach of a "
        "server that keeps an audit record per request)\n");
    for (auto& s : setups) {
      double ratio = median(s->cpu_to_protocol);
      std::printf("    %-8s %5.2f  %-7s  (%.0f requests/s, p99 %.2f ms)  / bare ceiling %.2f\n",
                  s->name.c_str(), ratio, ratio <= 1.25 ? "met" : "not met", median(s->rps),
                  percentile(s->latencies, 0.99), median(s->cpu_to_ceiling));
    }
    return errors == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "service_load: %s\n", e.what());
    return 1;
  }
}
