// Agent decrypt round trip with soft keys, beside the floor of its elliptic-curve work
// measured in the same run with OpenSSL alone.
//   member_combine: the agent's own work for one group document once the service has
//     answered: open the wrapped share (one ECDH on the device), x·T, R + P, unwrap the
//     content key, decrypt the metadata. Floor: 2 P-256 ECDH operations. Target <= 1.5x.
//   document_open_via_service: document.open through the agent's JSON-RPC handler with a
//     real recryptd on loopback (signed RecryptData over HTTP, the service's r·T, audit
//     write), in wall time. Floor: the EC work on both sides: 3 ECDH + 1 ES256 sign + 1 verify.
// Floors are thread CPU time per operation, the median of 5 runs.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>

#include "agent/agent.hpp"
#include "agent/member_combine.hpp"
#include "backend/soft_backend.hpp"
#include "base/atomic_file.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jws.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/udf.hpp"
#include "tests/service/recryptd_process.hpp"

using namespace recrypt;
namespace fs = std::filesystem;

namespace {

// ---- floors: OpenSSL alone -------------------------------------------------------------

ossl::Pkey generate_key() { return ossl::Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

// Thread CPU time, as Google Benchmark's default: a loaded machine does not inflate it.
double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

template <class F>
double seconds_per_op(F&& op, int n = 400) {
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    double start = thread_cpu_seconds();
    for (int i = 0; i < n; ++i) op();
    runs.push_back((thread_cpu_seconds() - start) / n);
  }
  std::sort(runs.begin(), runs.end());
  return runs[2];
}

struct Floors {
  double ecdh = 0, sign = 0, verify = 0;
};

Floors measure_floors() {
  auto a = generate_key(), b = generate_key();
  unsigned char buf[64];
  Floors f;
  f.ecdh = seconds_per_op([&] {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(a.get(), nullptr);
    EVP_PKEY_derive_init(ctx);
    EVP_PKEY_derive_set_peer(ctx, b.get());
    size_t len = sizeof buf;
    EVP_PKEY_derive(ctx, buf, &len);
    EVP_PKEY_CTX_free(ctx);
  });
  unsigned char sig[80];
  size_t siglen = sizeof sig;
  f.sign = seconds_per_op([&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, a.get());
    siglen = sizeof sig;
    EVP_DigestSign(ctx, sig, &siglen, buf, 32);
    EVP_MD_CTX_free(ctx);
  });
  f.verify = seconds_per_op([&] {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, a.get());
    EVP_DigestVerify(ctx, sig, siglen, buf, 32);
    EVP_MD_CTX_free(ctx);
  });
  return f;
}

const Floors& floors() {
  static const Floors f = [] {
    Floors m = measure_floors();
    std::cout << "floor: P-256 ECDH " << m.ecdh * 1e6 << " us, ES256 sign " << m.sign * 1e6
              << " us, verify " << m.verify * 1e6 << " us\n";
    return m;
  }();
  return f;
}

fs::path temp_dir(const char* tag) {
  fs::path dir = fs::temp_directory_path() /
                 (std::string("recrypt-bench-") + tag + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

std::optional<SecureString> passphrase(const backend::PinRequest&) {
  return SecureString("bench passphrase");
}

// ---- the agent's own work, the service's answer held fixed ----------------------------

void member_combine(benchmark::State& state) {
  fs::path dir = temp_dir("combine");
  backend::SoftConfig config{dir / "soft"};
  config.scrypt_n = 1 << 10;  // unlocking is not what is measured
  backend::SoftBackend soft(config, passphrase);
  auto enc = soft.generate_key("bench:encryption", backend::KeyPurpose::encryption);
  agent::DeviceKeys device{"bench", &soft, enc.id, udf::key_fingerprint(enc.public_key), "", ""};

  auto group = recryption::GroupKey::generate(Curve::p256());
  auto split = recryption::split(group.secret);
  MemorySink file;
  jcd::Encryptor writer(
      file, {{jwe::RecipientKey{group.public_key, "", jwe::Locator{"g", "G", "http://x"}}}});
  writer.finish();
  MemorySource source(file.data());
  BufferedInput in(source);
  jwe::Envelope envelope = jcd::read_header(in).envelope;
  const jwe::Recipient& recipient = envelope.recipients.front();
  const Point& epk = recipient.agreements.front().epk;
  service::RecryptDataResponse answer{
      recryption::partial(split.recryption_key, epk),
      std::string(service::wrap_share(split.share, enc.public_key))};

  for (auto _ : state) {
    Point z = agent::member_shared_point(device, epk, answer);
    SecureBytes cek = jwe::unwrap_candidates(recipient, {{z}});
    jcd::Metadata metadata = jcd::open_metadata(envelope, cek);
    benchmark::DoNotOptimize(metadata.payload_key.data());
  }
  state.counters["floor_us"] = 2 * floors().ecdh * 1e6;
  state.counters["ratio_to_floor"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * 2 * floors().ecdh,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  fs::remove_all(dir);
}

// ---- the whole round trip through the agent and a real recryptd -----------------------

struct World {
  test::RecryptdProcess service;
  fs::path dir = temp_dir("agents");
  std::unique_ptr<agent::PinProvider> pins;
  std::unique_ptr<agent::Agent> alice, bob;
  std::string request_line;

  World() {
    service.start();
    fs::path pass = dir / "passphrase";
    write_file_atomic(pass, as_bytes("bench passphrase\n"), 0600);
    agent::PinPolicy policy;
    policy.passphrase_file = pass;
    pins = std::make_unique<agent::PinProvider>(policy);
    auto make = [&](const char* name) {
      agent::AgentConfig config;
      config.home = dir / name;
      return std::make_unique<agent::Agent>(std::move(config), *pins);
    };
    alice = make("alice");
    bob = make("bob");
    alice->call("profile.create",
                Json{{"account", "alice@example.com"}, {"service", service.url()}});
    bob->call("profile.create", Json{{"account", "bob@example.com"}, {"service", service.url()}});
    alice->call("group.create", Json{{"name", "bench@example.com"}});
    alice->call("group.add", Json{{"group", "bench@example.com"}, {"member", "bob@example.com"}});
    Json recipient = alice->call("group.recipient", Json{{"group", "bench@example.com"}});
    auto group = service::verify_group_profile(recipient["profile"].get<std::string>());
    jwe::Envelope e =
        jwe::encrypt(as_bytes("{}"),
                     {{jwe::RecipientKey{group.encryption_key, group.key_id(),
                                         jwe::Locator{group.name, group.id(), group.service}}}},
                     std::string(jcd::kMetadataType));
    request_line = Json{{"jsonrpc", "2.0"},
                        {"id", 1},
                        {"method", "document.open"},
                        {"params", {{"envelope", e.serialize()}}}}
                       .dump();
  }
  ~World() { fs::remove_all(dir); }
};

void document_open_via_service(benchmark::State& state) {
  World world;
  for (auto _ : state) {
    SecureString reply = world.bob->handle_line(world.request_line);
    if (reply.find("\"result\"") == SecureString::npos) {
      state.SkipWithError(reply.c_str());
      break;
    }
  }
  const Floors& f = floors();
  double floor = 3 * f.ecdh + f.sign + f.verify;
  state.counters["floor_us"] = floor * 1e6;
  state.counters["ratio_to_floor"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * floor,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

}  // namespace

BENCHMARK(member_combine)->Unit(benchmark::kMicrosecond)->MinTime(1.0);
// Wall time: most of this round trip is another process (recryptd) and the loopback network.
BENCHMARK(document_open_via_service)->Unit(benchmark::kMicrosecond)->MinTime(2.0)->UseRealTime();
BENCHMARK_MAIN();
