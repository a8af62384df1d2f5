// The .jcd payload on several threads: the same bytes as one thread writes, and on every
// failure the same error after exactly the same plaintext as one thread releases; a sink or a
// source that throws ends the call with its error, without a hang.
#include <gtest/gtest.h>

#include "protocol/jcd.hpp"
#include "protocol/recryption.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using jcd::kSegmentSize;
constexpr std::size_t kSealedSegment = kSegmentSize + kGcmTagSize;
constexpr unsigned kThreadCounts[] = {1, 2, 4};

// What a decryption gave: the plaintext released before it ended, and how it ended.
struct Outcome {
  Bytes released;
  std::optional<Errc> code;  // nullopt: it reached the end
  std::string message;
  bool operator==(const Outcome&) const = default;
};

Outcome decrypt_payload(ByteView payload, const jcd::Metadata& m, const jcd::HeaderDigest& header,
                        unsigned threads) {
  MemorySource source(payload);
  BufferedInput in(source);
  Outcome out;
  try {
    jcd::Decryptor dec(in, m, header, threads);
    while (auto piece = dec.next())
      out.released.insert(out.released.end(), piece->begin(), piece->end());
    EXPECT_FALSE(dec.next().has_value());  // stays finished
  } catch (const Error& e) {
    out.code = e.code();
    out.message = e.what();
  }
  return out;
}

// A payload sealed segment by segment, as FORMAT.md §5 writes it.
Bytes seal_payload(ByteView plaintext, ByteView key, const jcd::HeaderDigest& header) {
  jcd::SegmentCipher cipher(key, header);
  Bytes out;
  std::uint64_t counter = 0;
  std::size_t at = 0;
  do {
    std::size_t take = std::min(kSegmentSize, plaintext.size() - at);
    bool last = at + take == plaintext.size();
    std::size_t start = out.size();
    out.resize(start + take + kGcmTagSize);
    cipher.seal(counter++, last, plaintext.subspan(at, take),
                std::span(out).subspan(start, take + kGcmTagSize));
    at += take;
  } while (at < plaintext.size());
  return out;
}

class JcdParallel : public ::testing::Test {
 protected:
  void SetUp() override {
    metadata.payload_key = SecureBytes(kAes256KeySize);
    Bytes key = test::random_bytes(kAes256KeySize);
    std::copy(key.begin(), key.end(), metadata.payload_key.begin());
    Bytes digest = test::random_bytes(header.size());
    std::copy(digest.begin(), digest.end(), header.begin());
  }
  // Every thread count gives the outcome one thread gives; returns that outcome.
  Outcome same_at_every_thread_count(ByteView payload) {
    Outcome serial = decrypt_payload(payload, metadata, header, 1);
    for (unsigned threads : kThreadCounts) {
      SCOPED_TRACE("threads " + std::to_string(threads));
      Outcome parallel = decrypt_payload(payload, metadata, header, threads);
      EXPECT_EQ(parallel.code, serial.code);
      EXPECT_EQ(parallel.message, serial.message);
      EXPECT_EQ(parallel.released.size(), serial.released.size());
      EXPECT_TRUE(parallel.released == serial.released);
    }
    return serial;
  }
  jcd::Metadata metadata;
  jcd::HeaderDigest header{};
  recryption::GroupKey group = recryption::GroupKey::generate(Curve::p256());
};

const std::vector<std::size_t>& sizes() {
  static const std::vector<std::size_t> all = {0,
                                               1,
                                               kSegmentSize - 1,
                                               kSegmentSize,
                                               kSegmentSize + 1,
                                               4 * kSegmentSize,
                                               5 * kSegmentSize,
                                               16 * kSegmentSize,
                                               17 * kSegmentSize + 1,
                                               33 * kSegmentSize,
                                               3 * 1024 * 1024 + 7};
  return all;
}

// The whole file through Encryptor (update in chunks of random sizes, or read_from a source)
// and Decryptor at each thread count; the payload is what SegmentCipher seals one segment
// after another, byte for byte.
TEST_F(JcdParallel, RoundTripsAndWritesWhatOneThreadWrites) {
  for (std::size_t n : sizes()) {
    for (unsigned threads : kThreadCounts) {
      for (bool from_source : {false, true}) {
        SCOPED_TRACE("size " + std::to_string(n) + ", threads " + std::to_string(threads) +
                     (from_source ? ", read_from" : ", update"));
        Bytes plaintext = test::random_bytes(n);
        MemorySink sink;
        jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}}, {}, threads);
        if (from_source) {
          MemorySource source(plaintext);
          while (enc.read_from(source) > 0) {
          }
        } else {
          for (std::size_t done = 0; done < n;) {
            std::size_t take = std::min<std::size_t>(n - done, 1 + test::rng()() % 300000);
            enc.update(ByteView(plaintext).subspan(done, take));
            done += take;
          }
        }
        enc.finish();
        const Bytes& file = sink.data();

        MemorySource source(file);
        BufferedInput in(source);
        jcd::Header h = jcd::read_header(in);
        jcd::Metadata m =
            jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, group.secret));
        const std::size_t payload_at =
            file.size() -
            (n + std::max<std::size_t>(1, (n + kSegmentSize - 1) / kSegmentSize) * kGcmTagSize);
        ByteView payload = ByteView(file).subspan(payload_at);
        ASSERT_TRUE(std::ranges::equal(payload, seal_payload(plaintext, m.payload_key, h.digest)));
        for (unsigned reader : kThreadCounts) {
          Outcome out = decrypt_payload(payload, m, h.digest, reader);
          EXPECT_EQ(out.code, std::nullopt) << out.message;
          ASSERT_TRUE(out.released == plaintext) << "read with " << reader << " threads";
        }
      }
    }
  }
}

// A segment altered past the first batches: the segments before it, then the same error.
TEST_F(JcdParallel, AlteredSegmentReleasesTheSamePrefix) {
  Bytes plaintext = test::random_bytes(60 * kSegmentSize + 1000);
  Bytes payload = seal_payload(plaintext, metadata.payload_key, header);
  for (std::size_t segment : {0, 3, 4, 5, 20, 37, 60}) {
    SCOPED_TRACE("segment " + std::to_string(segment));
    Bytes altered = payload;
    altered[segment * kSealedSegment + 7] ^= 1;
    Outcome out = same_at_every_thread_count(altered);
    EXPECT_EQ(out.code, std::optional(Errc::decrypt_failed));
    EXPECT_EQ(out.message, ".jcd segment " + std::to_string(segment) +
                               " does not authenticate (the file was altered)");
    ASSERT_EQ(out.released.size(), segment * kSegmentSize);
    EXPECT_TRUE(std::equal(out.released.begin(), out.released.end(), plaintext.begin()));
  }
}

TEST_F(JcdParallel, TruncationGivesTheSameErrorAfterTheSamePrefix) {
  Bytes plaintext = test::random_bytes(40 * kSegmentSize + 500);
  Bytes payload = seal_payload(plaintext, metadata.payload_key, header);
  // At a segment boundary (the last kept segment verifies only as a middle one).
  for (std::size_t kept : {5, 16, 17, 33}) {
    Outcome out = same_at_every_thread_count(ByteView(payload).first(kept * kSealedSegment));
    EXPECT_EQ(out.message, ".jcd file is truncated at a segment boundary");
    EXPECT_EQ(out.code, std::optional(Errc::truncated));
    EXPECT_EQ(out.released.size(), (kept - 1) * kSegmentSize);
  }
  // Inside a segment, and with less than a tag left.
  for (std::size_t cut :
       {20 * kSealedSegment + 1000, 20 * kSealedSegment + 15, payload.size() - 1}) {
    Outcome out = same_at_every_thread_count(ByteView(payload).first(cut));
    EXPECT_TRUE(out.code == Errc::truncated || out.code == Errc::decrypt_failed) << out.message;
    EXPECT_EQ(out.released.size(), cut / kSealedSegment * kSegmentSize);
  }
  Outcome out = same_at_every_thread_count(ByteView(payload).first(20 * kSealedSegment + 15));
  EXPECT_EQ(out.message, ".jcd file is truncated");
}

TEST_F(JcdParallel, DataAfterTheLastSegmentRefusedAfterTheSamePrefix) {
  // A full last segment, then more: it verifies only as the last one.
  Bytes full = seal_payload(test::random_bytes(24 * kSegmentSize), metadata.payload_key, header);
  for (std::size_t extra : {1, 100, 70000}) {
    Bytes longer = full;
    longer.resize(full.size() + extra, 0x41);
    Outcome out = same_at_every_thread_count(longer);
    EXPECT_EQ(out.message, ".jcd file has data after its last segment");
    EXPECT_EQ(out.released.size(), 23 * kSegmentSize);
  }
  // A short last segment with bytes behind it does not verify at all.
  Bytes shorter =
      seal_payload(test::random_bytes(24 * kSegmentSize + 9), metadata.payload_key, header);
  shorter.push_back(0);
  Outcome out = same_at_every_thread_count(shorter);
  EXPECT_EQ(out.message, ".jcd segment 24 does not authenticate (the file was altered)");
  // An empty last segment after data: not the one encoding of that plaintext.
  Bytes plaintext = test::random_bytes(20 * kSegmentSize);
  Bytes with_empty = seal_payload(plaintext, metadata.payload_key, header);
  jcd::SegmentCipher cipher(metadata.payload_key, header);
  for (std::size_t i = 0; i < 20; ++i)  // every segment a middle one, then an empty last one
    cipher.seal(i, false, ByteView(plaintext).subspan(i * kSegmentSize, kSegmentSize),
                std::span(with_empty).subspan(i * kSealedSegment, kSealedSegment));
  with_empty.resize(with_empty.size() + kGcmTagSize);
  cipher.seal(20, true, {}, std::span(with_empty).last(kGcmTagSize));
  out = same_at_every_thread_count(with_empty);
  EXPECT_EQ(out.code, std::optional(Errc::malformed));
  EXPECT_EQ(out.message, ".jcd file has an empty last segment after data");
  EXPECT_TRUE(out.released == plaintext);
}

// A source that fails after `limit` bytes.
class FailingSource final : public Source {
 public:
  FailingSource(ByteView data, std::size_t limit) : data_(data), limit_(limit) {}
  std::size_t read_some(std::span<std::uint8_t> buf) override {
    if (at_ >= limit_) fail(Errc::io, "read failed");
    std::size_t take = std::min({buf.size(), limit_ - at_, data_.size() - at_});
    std::copy_n(data_.begin() + static_cast<std::ptrdiff_t>(at_), take, buf.begin());
    at_ += take;
    return take;
  }

 private:
  ByteView data_;
  std::size_t limit_;
  std::size_t at_ = 0;
};

// A sink that fails once it holds more than `limit` bytes (a full disk).
class FailingSink final : public Sink {
 public:
  explicit FailingSink(std::size_t limit) : limit_(limit) {}
  void write(ByteView data) override {
    if (written_ + data.size() > limit_) fail(Errc::io, "disk full");
    written_ += data.size();
  }

 private:
  std::size_t limit_;
  std::size_t written_ = 0;
};

TEST_F(JcdParallel, FailingSourceAfterTheSegmentsBeforeIt) {
  Bytes payload = seal_payload(test::random_bytes(50 * kSegmentSize), metadata.payload_key, header);
  for (std::size_t limit : {3 * kSealedSegment + 5, 30 * kSealedSegment + 5}) {
    for (unsigned threads : kThreadCounts) {
      FailingSource source(payload, limit);
      BufferedInput in(source);
      jcd::Decryptor dec(in, metadata, header, threads);
      std::size_t released = 0;
      EXPECT_EQ(test::message_of([&] {
                  while (auto piece = dec.next()) released += piece->size();
                }),
                "read failed");
      // What the serial reader gives: every segment read whole, its lookahead byte too,
      // before the failure.
      EXPECT_EQ(released, (limit - 1) / kSealedSegment * kSegmentSize) << threads;
      EXPECT_ERRC(dec.next(), Errc::io);  // and it stays failed
    }
  }
  // The encryptor hands a source's error on as well.
  for (unsigned threads : kThreadCounts) {
    Bytes plaintext = test::random_bytes(40 * kSegmentSize);
    FailingSource source(plaintext, 25 * kSegmentSize + 3);
    MemorySink sink;
    jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}}, {}, threads);
    EXPECT_EQ(test::message_of([&] {
                while (enc.read_from(source) > 0) {
                }
              }),
              "read failed");
  }
}

TEST_F(JcdParallel, FailingSinkEndsTheCallWithItsError) {
  Bytes plaintext = test::random_bytes(4 * 1024 * 1024);
  for (unsigned threads : kThreadCounts) {
    for (std::size_t limit : {std::size_t{5000}, 20 * kSealedSegment, 60 * kSealedSegment}) {
      SCOPED_TRACE("threads " + std::to_string(threads) + ", limit " + std::to_string(limit));
      FailingSink sink(limit);
      EXPECT_EQ(
          test::message_of([&] {
            jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}}, {}, threads);
            MemorySource source(plaintext);
            while (enc.read_from(source) > 0) {
            }
            enc.finish();
          }),
          "disk full");
    }
  }
  // A reader's consumer that stops halfway: the decryptor goes away with batches in flight.
  Bytes payload = seal_payload(plaintext, metadata.payload_key, header);
  for (unsigned threads : kThreadCounts) {
    MemorySource source(payload);
    BufferedInput in(source);
    jcd::Decryptor dec(in, metadata, header, threads);
    std::size_t taken = 0;
    while (taken < kSegmentSize * 10) taken += dec.next()->size();
  }
}

TEST(JcdThreads, DefaultFollowsTheEnvironment) {
  ::setenv("RECRYPT_THREADS", "3", 1);
  EXPECT_EQ(jcd::default_threads(), 3u);
  for (const char* bad : {"0", "65", "two", "-1", "4x"}) {
    ::setenv("RECRYPT_THREADS", bad, 1);
    EXPECT_EQ(test::message_of([] { jcd::default_threads(); }),
              "RECRYPT_THREADS must be a number from 1 to 64")
        << bad;
  }
  ::setenv("RECRYPT_THREADS", "", 1);  // set and empty is unset
  EXPECT_GE(jcd::default_threads(), 1u);
  ::unsetenv("RECRYPT_THREADS");
  EXPECT_GE(jcd::default_threads(), 1u);
}

}  // namespace
}  // namespace recrypt
