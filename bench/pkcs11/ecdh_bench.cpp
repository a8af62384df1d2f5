// What the backend adds on top of the token: backend ecdh() next to the bare PKCS#11 calls it
// makes (C_DeriveKey, C_GetAttributeValue, C_DestroyObject) on the same SoftHSM2 key, and
// OpenSSL's own P-256 ECDH as the floor. Prints backend/raw; the target is <= 1.2.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <stdexcept>

#include "pkcs11/pkcs11_backend.hpp"
#include "protocol/scalar.hpp"
#include "softhsm_fixture.hpp"

namespace {

using namespace recrypt;

struct World {
  testing::SoftHsm hsm;
  std::unique_ptr<backend::Backend> backend;
  backend::KeyInfo key;
  Point peer;
  // The raw side: the same module, its own session, the key found once.
  CK_FUNCTION_LIST* fn = nullptr;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE priv = CK_INVALID_HANDLE;

  static World& get() {
    static World w;
    return w;
  }

 private:
  World() : key(make_key()), peer(Scalar::random(Curve::p256()).public_point()) { open_raw(); }

  backend::KeyInfo make_key() {
    hsm.init_token("bench");
    pkcs11::Pkcs11Config c;
    c.module_path = testing::SoftHsm::module_path();
    c.token_uri = "pkcs11:token=bench";
    c.pin_cache_timeout = std::chrono::hours(1);
    backend = pkcs11::make_pkcs11_backend(c, [](const backend::PinRequest&) {
      return std::optional<SecureString>(testing::SoftHsm::kUserPin);
    });
    return backend->generate_key("bench-enc", backend::KeyPurpose::encryption);
  }

  void open_raw() {
    // The backend initialised the module; dlopen hands back the same library.
    void* h = dlopen(testing::SoftHsm::module_path().c_str(), RTLD_NOW | RTLD_LOCAL);
    auto get = reinterpret_cast<CK_C_GetFunctionList>(dlsym(h, "C_GetFunctionList"));
    if (get == nullptr || get(&fn) != CKR_OK) throw std::runtime_error("module");
    CK_ULONG n = 16;
    CK_SLOT_ID slots[16];
    fn->C_GetSlotList(CK_TRUE, slots, &n);
    for (CK_ULONG i = 0; i < n; ++i) {
      CK_TOKEN_INFO ti;
      fn->C_GetTokenInfo(slots[i], &ti);
      if (std::string(reinterpret_cast<char*>(ti.label), 5) != "bench") continue;
      fn->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
    }
    std::string pin = testing::SoftHsm::kUserPin;
    fn->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
    std::string label = "bench-enc";
    CK_ATTRIBUTE t[] = {{CKA_CLASS, &klass, sizeof klass}, {CKA_LABEL, label.data(), label.size()}};
    CK_ULONG found = 0;
    fn->C_FindObjectsInit(session, t, 2);
    fn->C_FindObjects(session, &priv, 1, &found);
    fn->C_FindObjectsFinal(session);
    if (found != 1) throw std::runtime_error("raw: key not found");
  }
};

void BM_BackendEcdh(benchmark::State& state) {
  World& w = World::get();
  for (auto _ : state) {
    auto r = w.backend->ecdh(w.key.id, w.peer);
    benchmark::DoNotOptimize(r.x.data());
  }
}

// One raw ECDH: exactly the calls the backend makes, without the backend around them.
void raw_derive(World& w, const Bytes& pub, std::uint8_t (&x)[32]) {
  CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, pub.size(),
                                const_cast<std::uint8_t*>(pub.data())};
  CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
  CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_GENERIC_SECRET;
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
  CK_ULONG len = 32;
  CK_ATTRIBUTE t[] = {{CKA_CLASS, &klass, sizeof klass},   {CKA_KEY_TYPE, &type, sizeof type},
                      {CKA_TOKEN, &no, sizeof no},         {CKA_SENSITIVE, &no, sizeof no},
                      {CKA_EXTRACTABLE, &yes, sizeof yes}, {CKA_VALUE_LEN, &len, sizeof len}};
  CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
  if (w.fn->C_DeriveKey(w.session, &mech, w.priv, t, 6, &obj) != CKR_OK)
    throw std::runtime_error("derive");
  CK_ATTRIBUTE a{CKA_VALUE, x, sizeof x};
  w.fn->C_GetAttributeValue(w.session, obj, &a, 1);
  w.fn->C_DestroyObject(w.session, obj);
}

void BM_RawDeriveKey(benchmark::State& state) {
  World& w = World::get();
  Bytes pub = w.peer.to_uncompressed();
  for (auto _ : state) {
    std::uint8_t x[32];
    raw_derive(w, pub, x);
    benchmark::DoNotOptimize(x);
  }
}

// This thread's CPU time: steadier than wall-clock time on a machine shared with others.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Alternates raw and backend ECDHs, swapping which goes first each round (the second of a
// pair runs on warmer caches), and sums each side's CPU time: drift on a loaded machine hits
// both sides alike. Returns backend / raw.
double paired_ratio(int rounds) {
  World& w = World::get();
  Bytes pub = w.peer.to_uncompressed();
  double raw = 0, backend = 0;
  auto time_raw = [&] {
    std::uint8_t x[32];
    double t0 = thread_cpu_seconds();
    raw_derive(w, pub, x);
    raw += thread_cpu_seconds() - t0;
    benchmark::DoNotOptimize(x);
  };
  auto time_backend = [&] {
    double t0 = thread_cpu_seconds();
    auto r = w.backend->ecdh(w.key.id, w.peer);
    backend += thread_cpu_seconds() - t0;
    benchmark::DoNotOptimize(r.x.data());
  };
  for (int i = 0; i < rounds; ++i) {
    if (i % 2 == 0) {
      time_raw();
      time_backend();
    } else {
      time_backend();
      time_raw();
    }
  }
  return backend / raw;
}

// What the backend's per-operation token check costs by itself.
void BM_RawGetTokenInfo(benchmark::State& state) {
  World& w = World::get();
  CK_SESSION_INFO si;
  w.fn->C_GetSessionInfo(w.session, &si);
  for (auto _ : state) {
    CK_TOKEN_INFO ti;
    benchmark::DoNotOptimize(w.fn->C_GetTokenInfo(si.slotID, &ti));
  }
}

void BM_RawGetSlotInfo(benchmark::State& state) {
  World& w = World::get();
  CK_SESSION_INFO si;
  w.fn->C_GetSessionInfo(w.session, &si);
  for (auto _ : state) {
    CK_SLOT_INFO info;
    benchmark::DoNotOptimize(w.fn->C_GetSlotInfo(si.slotID, &info));
  }
}

void BM_RawGetSessionInfo(benchmark::State& state) {
  World& w = World::get();
  for (auto _ : state) {
    CK_SESSION_INFO si;
    benchmark::DoNotOptimize(w.fn->C_GetSessionInfo(w.session, &si));
  }
}

void BM_OpenSslEcdhFloor(benchmark::State& state) {
  World& w = World::get();
  Scalar k = Scalar::random(Curve::p256());
  for (auto _ : state) {
    Bytes x = w.peer.times(k).x_bytes();
    benchmark::DoNotOptimize(x.data());
  }
}

// Interleaved runs of the two sides, so that drift on a shared machine hits both.
BENCHMARK(BM_RawDeriveKey)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_BackendEcdh)->Repetitions(5)->ReportAggregatesOnly(true);
BENCHMARK(BM_RawGetTokenInfo);
BENCHMARK(BM_RawGetSlotInfo);
BENCHMARK(BM_RawGetSessionInfo);
BENCHMARK(BM_OpenSslEcdhFloor);

// Keeps every run's time so main() can print the ratio.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs)
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        median_[r.run_name.function_name] = {r.GetAdjustedRealTime(), r.GetAdjustedCPUTime()};
      else if (r.run_type == Run::RT_Iteration)
        median_.try_emplace(r.run_name.function_name,
                            std::pair{r.GetAdjustedRealTime(), r.GetAdjustedCPUTime()});
    ConsoleReporter::ReportRuns(runs);
  }
  // Median wall-clock time; cpu_time() the CPU time, steadier on a loaded machine.
  double time(const std::string& name) const {
    auto it = median_.find(name);
    return it == median_.end() ? 0 : it->second.first;
  }
  double cpu_time(const std::string& name) const {
    auto it = median_.find(name);
    return it == median_.end() ? 0 : it->second.second;
  }

 private:
  std::map<std::string, std::pair<double, double>> median_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  double backend = reporter.time("BM_BackendEcdh"), raw = reporter.time("BM_RawDeriveKey");
  double floor = reporter.time("BM_OpenSslEcdhFloor");
  if (backend > 0 && raw > 0) {
    std::printf("\nbackend ecdh / raw C_DeriveKey loop = %.3f wall, %.3f cpu (target <= 1.2)\n",
                backend / raw,
                reporter.cpu_time("BM_BackendEcdh") / reporter.cpu_time("BM_RawDeriveKey"));
    if (floor > 0) std::printf("raw C_DeriveKey loop / OpenSSL P-256 ECDH = %.2f\n", raw / floor);
  }
  if (std::getenv("RECRYPT_BENCH_GROWTH")) {
    World& w = World::get();
    Bytes pub = w.peer.to_uncompressed();
    for (int batch = 0; batch < 6; ++batch) {
      auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 500; ++i) {
        std::uint8_t x[32];
        raw_derive(w, pub, x);
      }
      std::printf(
          "batch %d: %.1f us/op\n", batch,
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() /
              500);
    }
  }
  std::printf("backend ecdh / raw C_DeriveKey, paired over 2000 alternating rounds (cpu) = %.3f\n",
              paired_ratio(2000));
  benchmark::Shutdown();
  return 0;
}
