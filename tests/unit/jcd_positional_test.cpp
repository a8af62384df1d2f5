// The .jcd payload between a regular file and an unnamed one, every thread reading and
// writing its own segments at their offsets: the same plaintext and, on every failure, the
// same error as one thread reading in order gives, and nothing left in the folder.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "base/atomic_file.hpp"
#include "base/io.hpp"
#include "base/unique_fd.hpp"
#include "protocol/jcd.hpp"
#include "protocol/recryption.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {
namespace fs = std::filesystem;

using jcd::kSegmentSize;
constexpr std::size_t kSealedSegment = kSegmentSize + kGcmTagSize;
constexpr unsigned kThreadCounts[] = {1, 2, 4};

struct Outcome {
  Bytes plaintext;  // the file decrypted, when it decrypted
  std::optional<Errc> code;
  std::string message;
};

class JcdPositional : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("jcd-positional-" + std::to_string(::getpid()) + "-" + std::to_string(test::rng()()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  void write_plain(const fs::path& path, ByteView data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    ASSERT_TRUE(fd);
    write_all(fd.get(), data);
  }

  Bytes read_plain(const fs::path& path) { return read_file(path, 64u << 20); }

  // The whole of `plain` through Encryptor::seal_file into an unnamed file, committed.
  Bytes encrypt(ByteView plain, unsigned threads) {
    write_plain(dir / "in", plain);
    UniqueFd in(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC));
    {
      AtomicFile out(dir / "out.jcd", 0600, {.sync = Sync::none});
      EXPECT_FALSE(out.named_temporary());
      FdSink sink(out.fd());
      jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}}, {}, threads);
      EXPECT_EQ(enc.seal_file(in.get(), out.fd()), plain.size());
      out.commit();
    }
    Bytes file = read_plain(dir / "out.jcd");
    fs::remove(dir / "out.jcd");
    fs::remove(dir / "in");
    return file;
  }

  // `file` through Decryptor::open_file into an unnamed file: what it gave, or its error;
  // nothing is left behind on an error.
  Outcome decrypt(ByteView file, unsigned threads) {
    write_plain(dir / "in.jcd", file);
    Outcome outcome = open_positional(dir / "in.jcd", threads);
    fs::remove(dir / "in.jcd");
    EXPECT_TRUE(fs::is_empty(dir)) << "something was left in the folder";
    return outcome;
  }

  // The .jcd at `path` through Decryptor::open_file into an unnamed file, "out" once it is
  // complete and removed after it was read: what it gave, or its error.
  Outcome open_positional(const fs::path& path, unsigned threads) {
    UniqueFd in(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    Outcome outcome;
    try {
      AtomicFile out(dir / "out", 0600, {.sync = Sync::none});
      FdSink sink(out.fd());
      FdSource source(in.get());
      BufferedInput input(source);
      jcd::Header h = jcd::read_header(input);
      jcd::Metadata m =
          jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, group.secret));
      jcd::Decryptor dec(input, m, h.digest, threads);
      const std::uint64_t total = dec.open_file(in.get(), h.size, sink, out.fd());
      out.commit();
      outcome.plaintext = read_plain(dir / "out");
      EXPECT_EQ(total, outcome.plaintext.size());
      fs::remove(dir / "out");
    } catch (const Error& e) {
      outcome.code = e.code();
      outcome.message = e.what();
    }
    return outcome;
  }

  // The same file read in order from memory, one thread: the reference.
  Outcome decrypt_in_order(ByteView file) {
    Outcome outcome;
    try {
      MemorySource source(file);
      BufferedInput input(source);
      jcd::Header h = jcd::read_header(input);
      jcd::Metadata m =
          jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, group.secret));
      jcd::Decryptor dec(input, m, h.digest, 1);
      while (auto piece = dec.next())
        outcome.plaintext.insert(outcome.plaintext.end(), piece->begin(), piece->end());
    } catch (const Error& e) {
      outcome.code = e.code();
      outcome.message = e.what();
    }
    return outcome;
  }

  // Every thread count fails as one thread in order fails; returns that outcome.
  Outcome same_failure(ByteView file) {
    Outcome serial = decrypt_in_order(file);
    EXPECT_NE(serial.code, std::nullopt);
    for (unsigned threads : kThreadCounts) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      Outcome positional = decrypt(file, threads);
      EXPECT_EQ(positional.code, serial.code);
      EXPECT_EQ(positional.message, serial.message);
    }
    return serial;
  }

  std::size_t payload_at(ByteView file) {
    MemorySource source(file);
    BufferedInput input(source);
    return jcd::read_header(input).size;
  }

  fs::path dir;
  recryption::GroupKey group = recryption::GroupKey::generate(Curve::p256());
};

TEST_F(JcdPositional, RoundTripsAtEveryThreadCount) {
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, kSegmentSize - 1, kSegmentSize, kSegmentSize + 1,
        4 * kSegmentSize, 5 * kSegmentSize, 5 * kSegmentSize + 1, 20 * kSegmentSize,
        21 * kSegmentSize, 37 * kSegmentSize + 5, std::size_t{3 * 1024 * 1024 + 7}}) {
    Bytes plain = test::random_bytes(n);
    for (unsigned writer : kThreadCounts) {
      SCOPED_TRACE("size " + std::to_string(n) + ", threads " + std::to_string(writer));
      Bytes file = encrypt(plain, writer);
      Outcome in_order = decrypt_in_order(file);
      EXPECT_EQ(in_order.code, std::nullopt) << in_order.message;
      ASSERT_TRUE(in_order.plaintext == plain);
      for (unsigned reader : kThreadCounts) {
        Outcome out = decrypt(file, reader);
        EXPECT_EQ(out.code, std::nullopt) << out.message;
        ASSERT_TRUE(out.plaintext == plain) << "read with " << reader << " threads";
      }
    }
  }
}

TEST_F(JcdPositional, AlteredSegmentGivesTheFirstFailureInFileOrder) {
  Bytes file = encrypt(test::random_bytes(60 * kSegmentSize + 1000), 1);
  const std::size_t at = payload_at(file);
  for (std::size_t segment : {3, 5, 20, 37, 60}) {
    SCOPED_TRACE("segment " + std::to_string(segment));
    Bytes altered = file;
    altered[at + segment * kSealedSegment + 7] ^= 1;
    // A later segment altered too: the first one in the file is the one reported.
    if (segment + 20 <= 60) altered[at + (segment + 20) * kSealedSegment + 9] ^= 1;
    Outcome out = same_failure(altered);
    EXPECT_EQ(out.code, std::optional(Errc::decrypt_failed));
    EXPECT_EQ(out.message, ".jcd segment " + std::to_string(segment) +
                               " does not authenticate (the file was altered)");
  }
}

TEST_F(JcdPositional, TruncationAndTrailingDataGiveTheSerialErrors) {
  Bytes file = encrypt(test::random_bytes(40 * kSegmentSize), 1);
  const std::size_t at = payload_at(file);
  struct Case {
    std::size_t size;
    Errc code;
    std::string message;
  };
  for (const Case& c : {
           Case{at + 20 * kSealedSegment, Errc::truncated,
                ".jcd file is truncated at a segment boundary"},
           Case{at + 16 * kSealedSegment, Errc::truncated,
                ".jcd file is truncated at a segment boundary"},
           Case{at + 20 * kSealedSegment + 5, Errc::truncated, ".jcd file is truncated"},
           Case{at + 33 * kSealedSegment + 1000, Errc::decrypt_failed,
                ".jcd segment 33 does not authenticate (the file was altered)"},
       }) {
    SCOPED_TRACE("cut at " + std::to_string(c.size));
    Outcome out = same_failure(ByteView(file).first(c.size));
    EXPECT_EQ(out.code, std::optional(c.code));
    EXPECT_EQ(out.message, c.message);
  }
  Bytes longer = file;
  longer.push_back(0x42);
  Outcome out = same_failure(longer);
  EXPECT_EQ(out.code, std::optional(Errc::decrypt_failed));
  EXPECT_EQ(out.message, ".jcd file has data after its last segment");
}

// A file that grows and shrinks while it is read ends in a result or an error, never a
// crash or a hang; what it cannot be is a file that decrypts to something else.
TEST_F(JcdPositional, InputChangingSizeWhileReadEndsCleanly) {
  Bytes plain = test::random_bytes(48 * kSegmentSize + 3);
  Bytes file = encrypt(plain, 1);
  for (int round = 0; round < 6; ++round) {
    write_plain(dir / "in.jcd", file);
    write_plain(dir / "in", plain);
    std::atomic<bool> done{false};
    std::thread changer([&] {
      for (std::size_t i = 0; !done; ++i) {
        const auto cut = static_cast<off_t>(file.size() / 2 + (i * 7919) % (file.size() / 2));
        (void)!::truncate((dir / (i % 2 ? "in.jcd" : "in")).c_str(), cut);
        (void)!::truncate((dir / (i % 2 ? "in.jcd" : "in")).c_str(),
                          static_cast<off_t>(file.size() + 100));
      }
    });
    for (unsigned threads : {2u, 4u}) {
      Outcome opened = open_positional(dir / "in.jcd", threads);
      // A run that decrypted at all decrypted to the plaintext.
      if (!opened.code) {
        EXPECT_TRUE(opened.plaintext == plain);
      }
      UniqueFd plain_in(::open((dir / "in").c_str(), O_RDONLY | O_CLOEXEC));
      try {
        AtomicFile out(dir / "out.jcd", 0600, {.sync = Sync::none});
        FdSink sink(out.fd());
        jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}}, {}, threads);
        enc.seal_file(plain_in.get(), out.fd());
      } catch (const Error&) {
      }
    }
    done = true;
    changer.join();
  }
}

}  // namespace
}  // namespace recrypt
