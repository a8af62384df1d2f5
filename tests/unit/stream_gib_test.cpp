// Streams 1 GiB of generated plaintext through jcd::Encryptor into a pipe while another
// thread reads the pipe through jcd::Decryptor and checks every byte against the same
// generator: nothing is stored, so the peak resident set size shows whether memory stays
// bounded. Exits 0 on success, 1 on any failure, and prints the peak RSS.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <thread>

#include "protocol/jcd.hpp"
#include "protocol/recryption.hpp"

namespace {

using namespace recrypt;

constexpr std::uint64_t kTotal = std::uint64_t{1} << 30;
// The batches in flight on each side (about 12 MiB each with two threads, jcd.cpp bounds
// them whatever the thread count), a 64 KiB read buffer and a 100 kB chunk. The limit holds
// under ASan too.
constexpr long kLimitMiB = 64;

// A deterministic byte stream (xorshift64*), cheap enough not to dominate the run.
class Generator {
 public:
  explicit Generator(std::uint64_t seed) : state_(seed | 1) {}
  void fill(std::uint8_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 8) {
      state_ ^= state_ >> 12;
      state_ ^= state_ << 25;
      state_ ^= state_ >> 27;
      std::uint64_t v = state_ * 0x2545F4914F6CDD1Dull;
      std::memcpy(out + i, &v, std::min<std::size_t>(8, n - i));
    }
  }

 private:
  std::uint64_t state_;
};

long peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;  // kilobytes on Linux
}

}  // namespace

int main() {
  try {
    int fds[2];
    if (::pipe(fds) != 0) {
      std::perror("pipe");
      return 1;
    }
    const std::uint64_t seed = 0x5eed5eed12345678ull;
    auto group = recryption::GroupKey::generate(Curve::p256());
    auto start = std::chrono::steady_clock::now();
    long rss_before = peak_rss_mib();

    std::exception_ptr writer_error;
    std::thread writer([&] {
      try {
        FdSink sink(fds[1]);
        jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}},
                           jcd::FileInfo{"big.bin", {}, {}});
        Generator gen(seed);
        std::vector<std::uint8_t> chunk(100000);  // not a multiple of the segment size
        for (std::uint64_t done = 0; done < kTotal;) {
          std::size_t n =
              static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), kTotal - done));
          gen.fill(chunk.data(), n);
          enc.update(ByteView(chunk.data(), n));
          done += n;
        }
        enc.finish();
      } catch (...) {
        writer_error = std::current_exception();
      }
      ::close(fds[1]);
    });

    std::uint64_t got = 0;
    bool mismatch = false;
    {
      FdSource source(fds[0]);
      BufferedInput in(source);
      jcd::Header h = jcd::read_header(in);
      jcd::Metadata m =
          jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, group.secret));
      jcd::Decryptor dec(in, m, h.digest);
      Generator gen(seed);
      std::vector<std::uint8_t> expected;
      // The generator runs in 8-byte steps; segments are multiples of 8 except the last.
      while (auto segment = dec.next()) {
        if (expected.size() < segment->size() + 8) expected.resize(segment->size() + 8);
        gen.fill(expected.data(), segment->size());
        if (std::memcmp(expected.data(), segment->data(), segment->size()) != 0) mismatch = true;
        got += segment->size();
      }
    }
    writer.join();
    ::close(fds[0]);
    if (writer_error) std::rethrow_exception(writer_error);

    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    long peak = peak_rss_mib();
    std::printf("1 GiB .jcd stream: %llu bytes round-tripped in %.2f s (%.0f MiB/s through both)\n",
                static_cast<unsigned long long>(got), seconds, 1024.0 / seconds);
    std::printf("peak RSS %ld MiB (before streaming %ld MiB, limit %ld MiB)\n", peak, rss_before,
                kLimitMiB);
    if (got != kTotal) {
      std::printf("FAIL: expected %llu bytes\n", static_cast<unsigned long long>(kTotal));
      return 1;
    }
    if (mismatch) {
      std::printf("FAIL: decrypted bytes differ from the generated plaintext\n");
      return 1;
    }
    if (peak > kLimitMiB) {
      std::printf("FAIL: peak RSS above the limit\n");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
}
