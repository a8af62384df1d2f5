// What the TPM backend costs on top of the TPM: TpmBackend::ecdh (salted, parameter-encrypted
// session, key kept loaded: the agent's decrypt path) next to a bare Esys_ECDH_ZGen loop with
// a password session on the same swtpm, plus OpenSSL's own P-256 ECDH as the software floor.
// Prints the ratio backend / raw at the end; the target is <= 1.2.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <tss2/tss2_esys.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "protocol/scalar.hpp"
#include "tests/tpm/swtpm_fixture.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/esys_object.hpp"
#include "tpm/tpm_backend.hpp"
#include "tpm/tpm_error.hpp"

namespace {

using namespace recrypt;

// Records each benchmark's real time per iteration (µs) while printing as usual.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  // Keeps the median of repetitions when there are some, else the single run.
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const auto& r : runs) {
      if (r.run_type == Run::RT_Iteration && r.repetitions <= 1)
        times[r.run_name.function_name] = r.GetAdjustedRealTime();
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name == "median")
        times[r.run_name.function_name] = r.GetAdjustedRealTime();
    }
    ConsoleReporter::ReportRuns(runs);
  }
  std::map<std::string, double> times;
};

// A decrypt-only P-256 key as a primary in the NULL hierarchy: one object slot, no parent.
tpm::EsysObject raw_ecdh_key(ESYS_CONTEXT* ctx) {
  TPM2B_SENSITIVE_CREATE sens{};
  TPM2B_PUBLIC tmpl{};
  tmpl.publicArea.type = TPM2_ALG_ECC;
  tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
  tmpl.publicArea.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_DECRYPT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA |
                                     TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  auto& ecc = tmpl.publicArea.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_NULL;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.curveID = TPM2_ECC_NIST_P256;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  tpm::check_rc(
      "CreatePrimary (bench key)",
      Esys_CreatePrimary(ctx, ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sens,
                         &tmpl, &outside, &pcrs, &handle, nullptr, nullptr, nullptr, nullptr));
  return tpm::EsysObject(ctx, handle);
}

TPM2B_ECC_POINT to_tpm(const Point& p) {
  TPM2B_ECC_POINT in{};
  const Bytes x = p.x_bytes(), y = p.y_bytes();
  in.point.x.size = 32;
  in.point.y.size = 32;
  std::copy(x.begin(), x.end(), in.point.x.buffer);
  std::copy(y.begin(), y.end(), in.point.y.buffer);
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  // Default to interleaved repetitions and medians: the machine is shared and a TPM round trip
  // is noisy; comparing medians of interleaved runs keeps the ratio honest. Flags override.
  std::vector<char*> args(argv, argv + argc);
  std::string reps = "--benchmark_repetitions=5";
  std::string inter = "--benchmark_enable_random_interleaving=true";
  std::string aggr = "--benchmark_report_aggregates_only=true";
  args.insert(args.begin() + 1, {reps.data(), inter.data(), aggr.data()});
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  if (!testing::Swtpm::available()) {
    std::printf("swtpm is not installed: TPM benchmarks skipped\n");
    return 0;
  }
  testing::Swtpm swtpm;
  testing::TempDir data("recrypt-tpmbench");
  tpm::TpmConfig config;
  config.tcti = swtpm.tcti();
  config.data_dir = data.path();
  tpm::TpmBackend backend(
      config, [](const backend::PinRequest&) { return std::optional<SecureString>("1234"); });
  const auto key = backend.generate_key("bench", backend::KeyPurpose::encryption);
  const Point peer = Scalar::random(Curve::p256()).public_point();
  backend.ecdh(key.id, peer);  // load the key once, as the agent would have

  // The raw loop's own connection (tcti-swtpm connects per command, so both coexist).
  auto ctx = tpm::EsysContext::open(swtpm.tcti());
  tpm::EsysObject raw_key = raw_ecdh_key(ctx.get());
  const TPM2B_ECC_POINT raw_in = to_tpm(peer);

  benchmark::RegisterBenchmark("tpm/backend_ecdh",
                               [&](benchmark::State& st) {
                                 for (auto _ : st)
                                   benchmark::DoNotOptimize(backend.ecdh(key.id, peer));
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);

  benchmark::RegisterBenchmark(
      "tpm/raw_esys_ecdh_zgen",
      [&](benchmark::State& st) {
        for (auto _ : st) {
          TPM2B_ECC_POINT* out = nullptr;
          tpm::check_rc("ECDH_ZGen", Esys_ECDH_ZGen(ctx.get(), raw_key.get(), ESYS_TR_PASSWORD,
                                                    ESYS_TR_NONE, ESYS_TR_NONE, &raw_in, &out));
          Esys_Free(out);
        }
      })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);

  // For the record: the same encrypted ZGen through an ESAPI salted session. With tss2-esys
  // 3.2.1 this is what the backend would cost without its own session code.
  tpm::EsysObject esys_session = tpm::start_salted_session(ctx.get(), raw_key.get());
  benchmark::RegisterBenchmark(
      "tpm/esys_salted_session_ecdh_zgen",
      [&](benchmark::State& st) {
        for (auto _ : st) {
          tpm::set_session_attributes(ctx.get(), esys_session.get(),
                                      {.decrypt = true, .encrypt = true});
          TPM2B_ECC_POINT* out = nullptr;
          tpm::check_rc("ECDH_ZGen", Esys_ECDH_ZGen(ctx.get(), raw_key.get(), esys_session.get(),
                                                    ESYS_TR_NONE, ESYS_TR_NONE, &raw_in, &out));
          Esys_Free(out);
        }
      })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);

  benchmark::RegisterBenchmark("floor/openssl_p256_ecdh",
                               [&](benchmark::State& st) {
                                 const Scalar k = Scalar::random(Curve::p256());
                                 for (auto _ : st) benchmark::DoNotOptimize(peer.times(k));
                               })
      ->UseRealTime()
      ->Unit(benchmark::kMicrosecond);

  CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();

  const auto b = reporter.times.find("tpm/backend_ecdh");
  const auto r = reporter.times.find("tpm/raw_esys_ecdh_zgen");
  const auto f = reporter.times.find("floor/openssl_p256_ecdh");
  if (b != reporter.times.end() && f != reporter.times.end() && f->second > 0)
    std::printf("\nbackend ecdh / OpenSSL P-256 ECDH floor = %.1f\n", b->second / f->second);
  if (b != reporter.times.end() && r != reporter.times.end() && r->second > 0) {
    const double ratio = b->second / r->second;
    std::printf("backend ecdh / raw Esys_ECDH_ZGen = %.3f (target <= 1.2): %s\n", ratio,
                ratio <= 1.2 ? "OK" : "ABOVE TARGET");
  }
  return 0;
}
