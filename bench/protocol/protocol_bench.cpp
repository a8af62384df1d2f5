// Benchmarks of the protocol library beside the floor OpenSSL sets on the same machine in the
// same run: one P-256 ECDH (EVP_PKEY_derive with a prepared context) and AES-256-GCM over
// 64 KiB (EVP, key schedule done once). The summary after the table gives the ratios; the
// targets are bulk .jcd throughput >= 0.7 x the GCM floor and combine <= 1.2 x one ECDH.
// Ratios use CPU time, which other load on a shared machine disturbs less than wall time.
#include <benchmark/benchmark.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstdio>
#include <map>
#include <string>

#include "protocol/jcd.hpp"
#include "protocol/recryption.hpp"

namespace {

using namespace recrypt;

const Curve& p256() { return Curve::p256(); }

constexpr std::size_t kBulk = 64 << 20;  // bytes per .jcd iteration
constexpr std::size_t kChunk = 1 << 20;  // bytes per update() call

class NullSink final : public Sink {
 public:
  void write(ByteView data) override { benchmark::DoNotOptimize(data.data()); }
};

// ---- the OpenSSL floors ----

void BM_floor_ecdh(benchmark::State& state) {
  Scalar k = Scalar::random(p256());
  Point peer = Scalar::random(p256()).public_point();
  auto pkey = k.to_evp_pkey();
  auto peer_pkey = peer.to_evp_pkey();
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new(pkey.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer_pkey.get()) != 1) {
    state.SkipWithError("EVP_PKEY_derive setup failed");
    return;
  }
  std::uint8_t secret[32];
  for (auto _ : state) {
    std::size_t len = sizeof secret;
    if (EVP_PKEY_derive(ctx.get(), secret, &len) != 1)
      state.SkipWithError("EVP_PKEY_derive failed");
    benchmark::DoNotOptimize(secret);
  }
}
BENCHMARK(BM_floor_ecdh)->Unit(benchmark::kMicrosecond);

template <bool Encrypt>
void floor_aes_gcm(benchmark::State& state) {
  Bytes key(32, 7), iv(12, 1), in(64 * 1024, 3), out(in.size());
  std::uint8_t tag[16] = {};
  ossl::CipherCtx ctx(EVP_CIPHER_CTX_new());
  const EVP_CIPHER* cipher = EVP_aes_256_gcm();
  bool ok = Encrypt ? EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data()) == 1
                    : EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, key.data(), iv.data()) == 1;
  if (!ok) state.SkipWithError("EVP init failed");
  for (auto _ : state) {
    int len = 0;
    if constexpr (Encrypt) {
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv.data());
      EVP_EncryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size()));
      EVP_EncryptFinal_ex(ctx.get(), out.data() + len, &len);
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, tag);
    } else {
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, nullptr, iv.data());
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, in.data(), static_cast<int>(in.size()));
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, tag);
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len);  // fails: the tag is not real
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(in.size()));
}
void BM_floor_aes_gcm_64k_encrypt(benchmark::State& state) { floor_aes_gcm<true>(state); }
void BM_floor_aes_gcm_64k_decrypt(benchmark::State& state) { floor_aes_gcm<false>(state); }
BENCHMARK(BM_floor_aes_gcm_64k_encrypt)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_floor_aes_gcm_64k_decrypt)->Unit(benchmark::kMicrosecond);

// ---- key splitting ----

void BM_split(benchmark::State& state) {
  auto group = recryption::GroupKey::generate(p256());
  for (auto _ : state) benchmark::DoNotOptimize(recryption::split(group.secret));
}
BENCHMARK(BM_split)->Unit(benchmark::kMicrosecond);

struct Fixture {
  recryption::GroupKey group = recryption::GroupKey::generate(p256());
  recryption::MemberSplit member = recryption::split(group.secret);
  Point t_point = Scalar::random(p256()).public_point();
  Point service = recryption::partial(member.recryption_key, t_point);
  Point device = t_point.times(member.share);
};

void BM_partial(benchmark::State& state) {
  Fixture f;
  for (auto _ : state)
    benchmark::DoNotOptimize(recryption::partial(f.member.recryption_key, f.t_point));
}
BENCHMARK(BM_partial)->Unit(benchmark::kMicrosecond);

// The member's combine once both halves are in: Z = R + P, and the x-coordinate the KDF takes.
void BM_combine(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(recryption::combine(f.service, f.device).x_bytes());
}
BENCHMARK(BM_combine)->Unit(benchmark::kMicrosecond);

// The x-only device path: lift P from its x, then R + P and R - P.
void BM_combine_candidates(benchmark::State& state) {
  Fixture f;
  Bytes x = f.device.x_bytes();
  for (auto _ : state) benchmark::DoNotOptimize(recryption::combine_candidates(f.service, x));
}
BENCHMARK(BM_combine_candidates)->Unit(benchmark::kMicrosecond);

// A member's whole share of the work with a software share: P = x·T, then Z = R + P.
void BM_member_device_and_combine(benchmark::State& state) {
  Fixture f;
  for (auto _ : state)
    benchmark::DoNotOptimize(
        recryption::combine(f.service, f.t_point.times(f.member.share)).x_bytes());
}
BENCHMARK(BM_member_device_and_combine)->Unit(benchmark::kMicrosecond);

// Opening a .jcd header on the member path once Z is known: Concat KDF, AES key unwrap, and
// AES-GCM plus parsing of the metadata.
void BM_envelope_open(benchmark::State& state) {
  Fixture f;
  MemorySink sink;
  {
    jcd::Encryptor enc(
        sink, {{jwe::RecipientKey{f.group.public_key, {}, jwe::Locator{"g", "id", "https://s/"}}}},
        jcd::FileInfo{"report.pdf", "application/pdf", "2026-11-22T00:00:00Z"});
    enc.finish();
  }
  MemorySource source(sink.data());
  BufferedInput in(source);
  jcd::Header h = jcd::read_header(in);
  const jwe::Recipient& r = h.envelope.recipients.at(0);
  Point z = r.agreements.at(0).epk.times(f.group.secret);
  for (auto _ : state) {
    auto cek = jwe::try_unwrap(r, {z});
    if (!cek) state.SkipWithError("unwrap failed");
    benchmark::DoNotOptimize(jcd::open_metadata(h.envelope, *cek));
  }
}
BENCHMARK(BM_envelope_open)->Unit(benchmark::kMicrosecond);

// ---- bulk .jcd ----

void BM_jcd_encrypt(benchmark::State& state) {
  Point a = Scalar::random(p256()).public_point();
  Bytes chunk(kChunk, 0x5a);
  for (auto _ : state) {
    NullSink sink;
    jcd::Encryptor enc(sink, {{jwe::RecipientKey{a, {}, {}}}});
    for (std::size_t done = 0; done < kBulk; done += kChunk) enc.update(chunk);
    enc.finish();
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBulk));
}
BENCHMARK(BM_jcd_encrypt)->Unit(benchmark::kMillisecond);

void BM_jcd_decrypt(benchmark::State& state) {
  Scalar a = Scalar::random(p256());
  MemorySink sink;
  {
    jcd::Encryptor enc(sink, {{jwe::RecipientKey{a.public_point(), {}, {}}}});
    Bytes chunk(kChunk, 0x5a);
    for (std::size_t done = 0; done < kBulk; done += kChunk) enc.update(chunk);
    enc.finish();
  }
  jcd::Metadata m;
  jcd::HeaderDigest digest{};
  std::size_t header_end = 0;
  {
    MemorySource source(sink.data());
    BufferedInput in(source);
    jcd::Header h = jcd::read_header(in);
    m = jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, a));
    digest = h.digest;
    std::string_view text = as_chars(sink.data());
    header_end = text.find('\n', text.find('\n') + 1) + 1;
  }
  ByteView payload = ByteView(sink.data()).subspan(header_end);
  for (auto _ : state) {
    MemorySource source(payload);
    BufferedInput in(source);
    jcd::Decryptor dec(in, m, digest);
    std::size_t total = 0;
    while (auto segment = dec.next()) total += segment->size();
    if (total != kBulk) state.SkipWithError("short decryption");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kBulk));
}
BENCHMARK(BM_jcd_decrypt)->Unit(benchmark::kMillisecond);

// Keeps each benchmark's CPU seconds per iteration (the best of any repetitions) for the
// summary of ratios.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.run_type != Run::RT_Iteration || r.error_occurred) continue;
      double seconds = r.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(r.time_unit);
      std::string name = r.run_name.function_name;
      auto it = seconds_.find(name);
      if (it == seconds_.end() || seconds < it->second) seconds_[name] = seconds;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void summary() const {
    auto get = [&](const char* name) {
      auto it = seconds_.find(name);
      return it == seconds_.end() ? 0.0 : it->second;
    };
    double ecdh = get("BM_floor_ecdh");
    double gcm_enc = get("BM_floor_aes_gcm_64k_encrypt") / (64.0 * 1024);
    double gcm_dec = get("BM_floor_aes_gcm_64k_decrypt") / (64.0 * 1024);
    double enc = get("BM_jcd_encrypt") / static_cast<double>(kBulk);
    double dec = get("BM_jcd_decrypt") / static_cast<double>(kBulk);
    if (gcm_enc > 0 && gcm_dec > 0) {
      std::printf("\nfloor: AES-256-GCM at 64 KiB %.0f MiB/s encrypt, %.0f MiB/s decrypt\n",
                  1.0 / gcm_enc / (1 << 20), 1.0 / gcm_dec / (1 << 20));
      std::printf("throughput ratios (>= 0.70 wanted):\n");
      if (enc > 0)
        std::printf("  jcd_encrypt/aes_gcm_floor = %.2f  (%.0f MiB/s)\n", gcm_enc / enc,
                    1.0 / enc / (1 << 20));
      if (dec > 0)
        std::printf("  jcd_decrypt/aes_gcm_floor = %.2f  (%.0f MiB/s)\n", gcm_dec / dec,
                    1.0 / dec / (1 << 20));
    }
    if (ecdh > 0) {
      std::printf("\nfloor: one P-256 ECDH (EVP_PKEY_derive) %.1f us\n", ecdh * 1e6);
      std::printf("time ratios against one ECDH (combine <= 1.20 wanted):\n");
      for (const char* name : {"BM_split", "BM_partial", "BM_combine", "BM_combine_candidates",
                               "BM_member_device_and_combine", "BM_envelope_open"}) {
        double t = get(name);
        if (t > 0) std::printf("  %s/ecdh_floor = %.2f  (%.1f us)\n", name + 3, t / ecdh, t * 1e6);
      }
    }
  }

 private:
  std::map<std::string, double> seconds_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.summary();
  benchmark::Shutdown();
  return 0;
}
