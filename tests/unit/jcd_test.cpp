// The .jcd controlled-document format: round trips at the segment edges, and every
// alteration of a small file (each byte changed, each truncation, reordered, duplicated and
// dropped segments, trailing data) refused with an Error before any altered plaintext is
// released.
#include <gtest/gtest.h>

#include "protocol/jcd.hpp"
#include "protocol/recryption.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using jcd::kSegmentSize;
constexpr std::size_t kSealedSegment = kSegmentSize + kGcmTagSize;

const Curve& p256() { return Curve::p256(); }

jwe::Locator locator() { return {"docs@example.com", "MGROUP-ID", "https://recrypt.example/"}; }

// Encrypts in chunks of random sizes, so that segment edges fall everywhere in update().
Bytes encrypt_jcd(ByteView plaintext, const Point& group, const jcd::FileInfo& info = {}) {
  MemorySink sink;
  jcd::Encryptor enc(sink, {{jwe::RecipientKey{group, {}, locator()}}}, info);
  std::size_t done = 0;
  while (done < plaintext.size()) {
    std::size_t take = std::min<std::size_t>(plaintext.size() - done, 1 + test::rng()() % 100000);
    enc.update(plaintext.subspan(done, take));
    done += take;
  }
  enc.update({});
  enc.finish();
  return sink.data();
}

std::size_t header_size(ByteView file) {
  std::string_view text = as_chars(file);
  auto first = text.find('\n');
  auto second = text.find('\n', first + 1);
  return second + 1;
}

// Decrypts the payload part of a .jcd with known metadata. Every segment the decryptor
// releases is appended to `released` as it comes, so a test can see what got out before an
// error.
void decrypt_payload(ByteView payload, const jcd::Metadata& m, const jcd::HeaderDigest& header,
                     Bytes& released) {
  MemorySource source(payload);
  BufferedInput in(source);
  jcd::Decryptor dec(in, m, header);
  while (auto segment = dec.next())
    released.insert(released.end(), segment->begin(), segment->end());
  EXPECT_FALSE(dec.next().has_value());  // stays finished
}

// The whole file as the group administrator opens it.
Bytes decrypt_jcd(ByteView file, const Scalar& a, Bytes& released,
                  jcd::Metadata* metadata = nullptr, jcd::HeaderDigest* digest = nullptr) {
  MemorySource source(file);
  BufferedInput in(source);
  jcd::Header h = jcd::read_header(in);
  jcd::Metadata m = jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, a));
  if (digest) *digest = h.digest;
  jcd::Decryptor dec(in, m, h.digest);
  while (auto segment = dec.next())
    released.insert(released.end(), segment->begin(), segment->end());
  if (metadata) *metadata = std::move(m);
  return released;
}

Bytes decrypt_jcd(ByteView file, const Scalar& a) {
  Bytes released;
  return decrypt_jcd(file, a, released);
}

class Jcd : public ::testing::Test {
 protected:
  recryption::GroupKey group = recryption::GroupKey::generate(p256());
};

TEST_F(Jcd, RoundTripsAtSegmentEdges) {
  std::vector<std::size_t> sizes = {0, 1, 65535, 65536, 65537, 2 * 65536, 3 * 65536, 3 * 65536 + 1};
  for (int i = 0; i < 3; ++i) sizes.push_back(1 + test::rng()() % 400000);
  for (std::size_t n : sizes) {
    SCOPED_TRACE("size " + std::to_string(n));
    Bytes plaintext = test::random_bytes(n);
    jcd::FileInfo info{"report.pdf", "application/pdf", "2026-11-22T00:00:00Z"};
    Bytes file = encrypt_jcd(plaintext, group.public_key, info);
    std::size_t segments = n == 0 ? 1 : (n + kSegmentSize - 1) / kSegmentSize;
    EXPECT_EQ(file.size(), header_size(file) + n + segments * kGcmTagSize);
    EXPECT_EQ(as_chars(file).substr(0, 15), "recrypt.jcd/v1\n");
    Bytes released;
    jcd::Metadata m;
    EXPECT_EQ(decrypt_jcd(file, group.secret, released, &m), plaintext);
    EXPECT_EQ(m.info.name, info.name);
    EXPECT_EQ(m.info.media_type, info.media_type);
    EXPECT_EQ(m.info.created, info.created);
    EXPECT_EQ(m.segment_size, kSegmentSize);
  }
}

TEST_F(Jcd, MemberOpensThroughServiceAndShare) {
  auto split = recryption::split(group.secret);
  Bytes plaintext = test::random_bytes(100000);
  Bytes file = encrypt_jcd(plaintext, group.public_key);
  MemorySource source(file);
  BufferedInput in(source);
  jcd::Header h = jcd::read_header(in);
  const jwe::Recipient& r = h.envelope.recipients.at(0);
  ASSERT_EQ(r.agreements.at(0).locator, locator());
  const Point& t_point = r.agreements[0].epk;
  auto candidates = recryption::combine_candidates(
      recryption::partial(split.recryption_key, t_point), t_point.times(split.share).x_bytes());
  SecureBytes cek = jwe::unwrap_candidates(r, {{candidates[0], candidates[1]}});
  jcd::Metadata m = jcd::open_metadata(h.envelope, cek);
  jcd::Decryptor dec(in, m, h.digest);
  Bytes out;
  while (auto s = dec.next()) out.insert(out.end(), s->begin(), s->end());
  EXPECT_EQ(out, plaintext);
  // A wrong content key does not open the metadata.
  SecureBytes wrong = cek;
  wrong[0] ^= 1;
  EXPECT_ERRC(jcd::open_metadata(h.envelope, wrong), Errc::decrypt_failed);
}

TEST_F(Jcd, SegmentNonceLayout) {
  auto n = jcd::segment_nonce(0x0102030405060708ull, true);
  EXPECT_EQ(to_hex(n), "000000010203040506070801");
  EXPECT_EQ(to_hex(jcd::segment_nonce(0, false)), "000000000000000000000000");
}

TEST_F(Jcd, EncryptorRefusesMisuseAndBadInfo) {
  MemorySink sink;
  jcd::Encryptor enc(sink, {{jwe::RecipientKey{group.public_key, {}, {}}}});
  enc.finish();
  EXPECT_ERRC(enc.update(as_bytes("more")), Errc::internal);
  EXPECT_ERRC(enc.finish(), Errc::internal);
  for (const char* bad : {"a/b", "/etc/passwd", ".", "..", ""}) {
    MemorySink s;
    EXPECT_ERRC(jcd::Encryptor(s, {{jwe::RecipientKey{group.public_key, {}, {}}}},
                               jcd::FileInfo{bad, {}, {}}),
                Errc::malformed)
        << bad;
  }
  MemorySink s;
  EXPECT_ERRC(jcd::Encryptor(s, {{jwe::RecipientKey{group.public_key, {}, {}}}},
                             jcd::FileInfo{std::string(256, 'a'), {}, {}}),
              Errc::malformed);
  EXPECT_ERRC(jcd::Encryptor(s, {}), Errc::malformed);
  // A writer does not make a file its readers refuse: "created" is RFC 3339.
  EXPECT_EQ(test::message_of([&] {
              jcd::Encryptor(s, {{jwe::RecipientKey{group.public_key, {}, {}}}},
                             jcd::FileInfo{{}, {}, "2026-11-22 09:30"});
            }),
            ".jcd metadata: \"created\" must be an RFC 3339 date and time");
}

// Two segments (one full, one short) behind the header: every byte of it altered in turn.
TEST_F(Jcd, EverySingleByteChangeRefused) {
  Bytes plaintext = test::random_bytes(kSegmentSize + 100);
  Bytes file = encrypt_jcd(plaintext, group.public_key);
  const std::size_t h = header_size(file);
  ASSERT_EQ(file.size(), h + kSealedSegment + 100 + kGcmTagSize);
  jcd::Metadata m;
  jcd::HeaderDigest digest{};
  {
    Bytes released;
    decrypt_jcd(file, group.secret, released, &m, &digest);
  }

  for (std::size_t i = 0; i < file.size(); ++i) {
    for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}}) {
      if (i >= h && mask == 0x80) continue;  // one flip per payload byte keeps this fast
      file[i] ^= mask;
      Bytes released;
      std::optional<Errc> code;
      if (i < h) {
        code = test::error_of([&] { decrypt_jcd(file, group.secret, released); });
      } else {
        code = test::error_of(
            [&] { decrypt_payload(ByteView(file).subspan(h), m, digest, released); });
      }
      // Every byte counts: the header's own JWE fields through JOSE, a recipient's
      // unprotected "kid" and "recrypt" through the segments' associated data.
      ASSERT_TRUE(code.has_value()) << "byte " << i << " changed without an error";
      {
        ASSERT_TRUE(*code == Errc::decrypt_failed || *code == Errc::malformed ||
                    *code == Errc::invalid_key || *code == Errc::unsupported ||
                    *code == Errc::truncated || *code == Errc::too_large)
            << "position " << i << ": " << errc_name(*code);
        if (i >= h) {
          EXPECT_EQ(*code, Errc::decrypt_failed) << "position " << i;
          // Nothing of the altered segment got out; earlier segments are the original.
          std::size_t segment = (i - h) / kSealedSegment;
          ASSERT_LE(released.size(), segment * kSegmentSize) << "position " << i;
          ASSERT_TRUE(std::equal(released.begin(), released.end(), plaintext.begin()));
        } else {
          ASSERT_TRUE(released.empty());
        }
      }
      file[i] ^= mask;
    }
  }
}

TEST_F(Jcd, EveryTruncationRefused) {
  Bytes plaintext = test::random_bytes(kSegmentSize + 100);
  Bytes file = encrypt_jcd(plaintext, group.public_key);
  const std::size_t h = header_size(file);
  jcd::Metadata m;
  jcd::HeaderDigest digest{};
  {
    Bytes released;
    decrypt_jcd(file, group.secret, released, &m, &digest);
  }
  for (std::size_t length = 0; length < file.size(); ++length) {
    ByteView cut = ByteView(file).first(length);
    Bytes released;
    std::optional<Errc> code;
    if (length < h)
      code = test::error_of([&] { decrypt_jcd(cut, group.secret, released); });
    else
      code = test::error_of([&] { decrypt_payload(cut.subspan(h), m, digest, released); });
    ASSERT_TRUE(code.has_value()) << "length " << length;
    if (length < h || length == h || length == h + kSealedSegment)
      EXPECT_EQ(*code, Errc::truncated) << "length " << length;
    else
      EXPECT_TRUE(*code == Errc::decrypt_failed || *code == Errc::truncated) << "length " << length;
    ASSERT_LT(released.size(), plaintext.size());
    ASSERT_TRUE(std::equal(released.begin(), released.end(), plaintext.begin()));
    if (length < h + kSealedSegment) {
      ASSERT_TRUE(released.empty()) << "length " << length;
    }
  }
}

// Splits a .jcd payload into its sealed segments.
std::vector<Bytes> segments_of(ByteView payload) {
  std::vector<Bytes> out;
  while (!payload.empty()) {
    std::size_t take = std::min(kSealedSegment, payload.size());
    out.emplace_back(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(take));
    payload = payload.subspan(take);
  }
  return out;
}

Bytes join(ByteView header, const std::vector<Bytes>& segments) {
  Bytes out(header.begin(), header.end());
  for (const Bytes& s : segments) out.insert(out.end(), s.begin(), s.end());
  return out;
}

TEST_F(Jcd, ReorderedDroppedDuplicatedSegmentsRefused) {
  Bytes plaintext = test::random_bytes(3 * kSegmentSize + 1000);
  Bytes file = encrypt_jcd(plaintext, group.public_key);
  const std::size_t h = header_size(file);
  ByteView header = ByteView(file).first(h);
  const std::vector<Bytes> segs = segments_of(ByteView(file).subspan(h));
  ASSERT_EQ(segs.size(), 4u);

  auto expect_refused = [&](const std::vector<Bytes>& altered, Errc want, const char* what) {
    Bytes released;
    EXPECT_EQ(test::error_of([&] { decrypt_jcd(join(header, altered), group.secret, released); }),
              std::optional<Errc>(want))
        << what;
    EXPECT_LT(released.size(), plaintext.size()) << what;
    EXPECT_TRUE(std::equal(released.begin(), released.end(), plaintext.begin())) << what;
  };
  expect_refused({segs[1], segs[0], segs[2], segs[3]}, Errc::decrypt_failed, "0 and 1 swapped");
  expect_refused({segs[0], segs[2], segs[1], segs[3]}, Errc::decrypt_failed, "1 and 2 swapped");
  expect_refused({segs[0], segs[1], segs[3], segs[2]}, Errc::decrypt_failed, "last moved");
  expect_refused({segs[0], segs[2], segs[3]}, Errc::decrypt_failed, "1 dropped");
  expect_refused({segs[0], segs[0], segs[1], segs[2], segs[3]}, Errc::decrypt_failed,
                 "0 duplicated");
  expect_refused({segs[0], segs[1], segs[2]}, Errc::truncated, "last dropped");
  expect_refused({segs[0], segs[1], segs[2], segs[3], segs[3]}, Errc::decrypt_failed,
                 "last duplicated");

  // Segments of another file under another key do not splice in.
  Bytes other = encrypt_jcd(plaintext, group.public_key);
  auto other_segs = segments_of(ByteView(other).subspan(header_size(other)));
  expect_refused({segs[0], other_segs[1], segs[2], segs[3]}, Errc::decrypt_failed,
                 "foreign segment");
}

TEST_F(Jcd, TrailingDataRefused) {
  for (std::size_t n : {std::size_t{0}, std::size_t{100}, kSegmentSize, 2 * kSegmentSize}) {
    Bytes plaintext = test::random_bytes(n);
    Bytes file = encrypt_jcd(plaintext, group.public_key);
    for (std::size_t extra : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                              kSealedSegment, kSealedSegment + 1}) {
      Bytes bad = file;
      Bytes garbage = test::random_bytes(extra);
      bad.insert(bad.end(), garbage.begin(), garbage.end());
      Bytes released;
      EXPECT_EQ(test::error_of([&] { decrypt_jcd(bad, group.secret, released); }),
                std::optional<Errc>(Errc::decrypt_failed))
          << "size " << n << " + " << extra;
      EXPECT_LT(released.size(), std::max<std::size_t>(n, 1));
      // After a full last segment the reader can tell; after a short one, the extra bytes
      // make the last chunk another one, which does not authenticate.
      Bytes ignored;
      std::string message = test::message_of([&] { decrypt_jcd(bad, group.secret, ignored); });
      if (n > 0 && n % kSegmentSize == 0)
        EXPECT_EQ(message, ".jcd file has data after its last segment")
            << "size " << n << " + " << extra;
      else
        EXPECT_EQ(message, ".jcd segment 0 does not authenticate (the file was altered)")
            << "size " << n << " + " << extra;
    }
    // A newline, as a text tool might append.
    Bytes bad = file;
    bad.push_back('\n');
    EXPECT_SOME_ERROR(decrypt_jcd(bad, group.secret));
  }
}

TEST_F(Jcd, EmptyLastSegmentAfterDataRefused) {
  // A writer other than ours could end a file with an empty last segment after full ones;
  // version 1 says the last segment holds the tail, so that is refused.
  Bytes plaintext = test::random_bytes(kSegmentSize);
  Bytes file = encrypt_jcd(plaintext, group.public_key);
  const std::size_t h = header_size(file);
  Bytes released;
  jcd::Metadata m;
  jcd::HeaderDigest digest{};
  decrypt_jcd(file, group.secret, released, &m, &digest);
  Aes256Gcm gcm(m.payload_key);
  Bytes rebuilt(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(h));
  Bytes sealed(kSegmentSize);
  auto tag = gcm.seal(jcd::segment_nonce(0, false), digest, plaintext, sealed);
  rebuilt.insert(rebuilt.end(), sealed.begin(), sealed.end());
  rebuilt.insert(rebuilt.end(), tag.begin(), tag.end());
  auto empty_tag = gcm.seal(jcd::segment_nonce(1, true), digest, {}, {});
  rebuilt.insert(rebuilt.end(), empty_tag.begin(), empty_tag.end());
  Bytes got;
  EXPECT_EQ(test::error_of([&] { decrypt_jcd(rebuilt, group.secret, got); }),
            std::optional<Errc>(Errc::malformed));
}

Bytes with_first_line(ByteView file, std::string_view line) {
  std::string_view text = as_chars(file);
  std::size_t nl = text.find('\n');
  Bytes out(line.begin(), line.end());
  out.insert(out.end(), file.begin() + static_cast<std::ptrdiff_t>(nl), file.end());
  return out;
}

TEST_F(Jcd, MagicAndVersionLines) {
  Bytes file = encrypt_jcd(as_bytes("hello"), group.public_key);
  auto expect = [&](ByteView bad, Errc want, std::string_view words) {
    std::string message = test::message_of([&] { decrypt_jcd(bad, group.secret); });
    EXPECT_EQ(test::error_of([&] { decrypt_jcd(bad, group.secret); }), std::optional<Errc>(want))
        << message;
    EXPECT_NE(message.find(words), std::string::npos) << message;
  };
  expect(with_first_line(file, "recrypt.jcd/v2"), Errc::unsupported, "version");
  expect(with_first_line(file, "recrypt.jcd/v10"), Errc::unsupported, "version");
  expect(with_first_line(file, "recrypt.jcd/v1 "), Errc::unsupported, "version");
  expect(with_first_line(file, "RECRYPT.JCD/V1"), Errc::malformed, "not a .jcd file");
  expect(with_first_line(file, "%PDF-1.7"), Errc::malformed, "not a .jcd file");
  expect(with_first_line(file, ""), Errc::malformed, "not a .jcd file");
  expect(Bytes{}, Errc::truncated, "empty");
  expect(as_bytes("recrypt.jcd/v1"), Errc::truncated, "");
  expect(as_bytes("recrypt.jcd/v1\n"), Errc::truncated, "first line");
  expect(as_bytes("recrypt.jcd/v1\n{}\n"), Errc::malformed, "");
  std::string long_line(100000, 'r');
  expect(as_bytes(long_line), Errc::too_large, "longer");
  // The first line may have 78 bytes before its LF, not 79 (docs/FORMAT.md §7).
  expect(with_first_line(file, "recrypt.jcd/" + std::string(66, 'v')), Errc::unsupported,
         "version");
  expect(with_first_line(file, "recrypt.jcd/" + std::string(67, 'v')), Errc::too_large,
         "longer than 78 bytes");
  expect(with_first_line(file, std::string(78, 'r')), Errc::malformed, "not a .jcd file");
  expect(with_first_line(file, std::string(79, 'r')), Errc::too_large, "longer than 78 bytes");
  // A JWE that is not a .jcd metadata envelope (no "cty") is refused.
  std::string plain_jwe =
      "recrypt.jcd/v1\n" +
      jwe::encrypt(as_bytes("{}"), {{jwe::RecipientKey{group.public_key, {}, {}}}}).serialize() +
      "\n";
  expect(as_bytes(plain_jwe), Errc::malformed, "metadata");
}

}  // namespace
}  // namespace recrypt
