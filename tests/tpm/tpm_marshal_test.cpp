// The one TPM parser (tpm/marshal.cpp, tss2-mu underneath) on data that is not what it should
// be: every truncation, size fields that lie, structures that do not parse, trailing bytes.
// Each is refused with recrypt::Error naming the format and the structure, never a crash, and
// nothing reaches a TPM. Software only: no swtpm needed.
#include <gtest/gtest.h>
#include <tss2/tss2_mu.h>

#include <functional>
#include <string>

#include "protocol/scalar.hpp"
#include "tpm/marshal.hpp"
#include "tpm/share_wrap.hpp"
#include "tpm/templates.hpp"

namespace recrypt::testing {
namespace {

// What `parse` threw, or nullopt when it accepted the data.
std::optional<Error> refusal(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const Error& e) {
    return e;
  }
  return std::nullopt;
}

void expect_refused(const std::function<void()>& parse, Errc code, const std::string& words) {
  const auto e = refusal(parse);
  ASSERT_TRUE(e.has_value()) << "accepted; wanted an error with '" << words << "'";
  EXPECT_EQ(errc_name(e->code()), errc_name(code)) << e->what();
  EXPECT_NE(std::string(e->what()).find(words), std::string::npos) << e->what();
}

Bytes duplicate_blob() {
  const tpm::TpmParentPublic parent{Scalar::random(Curve::p256()).public_point()};
  const auto wrapped = tpm::wrap_share_for_tpm(parent, Scalar::random(Curve::p256()));
  return Bytes(wrapped.data.begin(), wrapped.data.end());
}

Bytes key_blob() {
  tpm::KeyBlob blob;
  blob.label = "device key";
  blob.pub = tpm::share_public(Scalar::random(Curve::p256()).public_point());
  blob.priv.size = 80;
  return tpm::encode_key_blob(blob);
}

Bytes sealed_blob() {
  tpm::SealedBlob blob;
  blob.label = "group key";
  blob.pub = tpm::sealed_object_template();
  blob.priv.size = 96;
  return tpm::encode_sealed_blob(blob);
}

// Offsets in a duplicate blob: 5-byte header, then the TPM2B_PUBLIC (size at 5, TPMT_PUBLIC
// from 7: type 7, nameAlg 9, attributes 11, authPolicy 15, symmetric 17, scheme 19, curve 21,
// kdf 23, x 25 (size) ...).
constexpr std::size_t kPub = 5;
constexpr std::size_t kType = 7;
constexpr std::size_t kX = 25;

std::size_t u16_at(const Bytes& b, std::size_t off) {
  return (std::size_t{b[off]} << 8) | b[off + 1];
}
void set_u16(Bytes& b, std::size_t off, std::size_t v) {
  b[off] = static_cast<std::uint8_t>(v >> 8);
  b[off + 1] = static_cast<std::uint8_t>(v);
}

TEST(TpmMarshal, EncodedBlobsDecode) {
  const Bytes dup = duplicate_blob();
  const auto d = tpm::decode_duplicate_blob(dup);
  EXPECT_EQ(d.pub.publicArea.objectAttributes, tpm::kShareAttributes);
  EXPECT_EQ(d.duplicate.size, 76u);
  EXPECT_EQ(d.seed.size, 68u);
  EXPECT_EQ(tpm::encode_duplicate_blob(d), dup);
  const Bytes key = key_blob();
  EXPECT_EQ(tpm::encode_key_blob(tpm::decode_key_blob(key)), key);
  const Bytes sealed = sealed_blob();
  EXPECT_EQ(tpm::encode_sealed_blob(tpm::decode_sealed_blob(sealed)), sealed);
}

// The bytes docs/TPM.md gives for tpm2-duplicate-v1 and the parent's TPM2B_PUBLIC.
TEST(TpmMarshal, WireBytesAreTheDocumentedOnes) {
  const Point p = Scalar::random(Curve::p256()).public_point();
  const Bytes coords = from_hex("0020" + to_hex(p.x_bytes()) + "0020" + to_hex(p.y_bytes()));
  Bytes share_area = from_hex(
      "0023000b000204400000001000100003"
      "0010");
  share_area.insert(share_area.end(), coords.begin(), coords.end());
  EXPECT_EQ(to_hex(tpm::share_public_area(p)), to_hex(share_area));

  Bytes parent = from_hex("005a0023000b000304720000000600800043001000030010");
  parent.insert(parent.end(), coords.begin(), coords.end());
  EXPECT_EQ(to_hex(tpm::TpmParentPublic{p}.to_tpm2b_public()), to_hex(parent));

  const Bytes dup = duplicate_blob();
  ASSERT_EQ(dup.size(), 5u + 88 + 78 + 70);
  EXPECT_EQ(to_hex(ByteView(dup).first(5)), "5243544401");  // "RCTD" 01
  EXPECT_EQ(to_hex(ByteView(dup).subspan(5, 2)), "0056");
  EXPECT_EQ(to_hex(ByteView(dup).subspan(93, 4)), "004c0020");    // u16(76) || u16(32) hmac
  EXPECT_EQ(to_hex(ByteView(dup).subspan(171, 4)), "00440020");   // u16(68) || u16(32) x
  EXPECT_EQ(to_hex(ByteView(dup).subspan(171 + 36, 2)), "0020");  // u16(32) y
}

TEST(TpmMarshal, EveryTruncationIsRefusedWithAClearError) {
  struct Case {
    std::string what;
    Bytes data;
    std::function<void(ByteView)> parse;
  };
  const Case cases[] = {
      {"tpm2-duplicate-v1 share", duplicate_blob(),
       [](ByteView b) { tpm::decode_duplicate_blob(b); }},
      {"TPM key file", key_blob(), [](ByteView b) { tpm::decode_key_blob(b); }},
      {"TPM sealed blob", sealed_blob(), [](ByteView b) { tpm::decode_sealed_blob(b); }},
      {"TPM parent public key",
       tpm::TpmParentPublic{Scalar::random(Curve::p256()).public_point()}.to_tpm2b_public(),
       [](ByteView b) { tpm::TpmParentPublic::from_tpm2b_public(b); }},
  };
  for (const auto& c : cases) {
    for (std::size_t n = 0; n < c.data.size(); ++n) {
      const auto e = refusal([&] { c.parse(ByteView(c.data).first(n)); });
      ASSERT_TRUE(e.has_value()) << c.what << " cut to " << n << " bytes was accepted";
      EXPECT_TRUE(e->code() == Errc::truncated || e->code() == Errc::malformed)
          << c.what << " cut to " << n << ": " << e->what();
      EXPECT_NE(std::string(e->what()).find(c.what), std::string::npos) << e->what();
    }
    Bytes longer = c.data;
    longer.push_back(0);
    expect_refused([&] { c.parse(longer); }, Errc::malformed, "trailing bytes");
  }
}

TEST(TpmMarshal, LabelsLongerThanTheWriterWritesAreRefused) {
  const Bytes sealed = sealed_blob();  // label "group key" at offset 5
  Bytes long_label(sealed.begin(), sealed.begin() + 5);
  long_label.resize(7 + 1025, 'a');
  set_u16(long_label, 5, 1025);
  long_label.insert(long_label.end(), sealed.begin() + 7 + 9, sealed.end());
  expect_refused([&] { tpm::decode_sealed_blob(long_label); }, Errc::malformed,
                 "TPM sealed blob: its label is longer than 1024 bytes");
}

TEST(TpmMarshal, TruncationSaysWhichStructureRanOut) {
  const Bytes dup = duplicate_blob();
  expect_refused([&] { tpm::decode_duplicate_blob(ByteView(dup).first(dup.size() - 1)); },
                 Errc::truncated, "TPM2B_ENCRYPTED_SECRET needs 70 bytes, 69 left");
  expect_refused([&] { tpm::decode_duplicate_blob(ByteView(dup).first(kPub + 10)); },
                 Errc::truncated, "TPM2B_PUBLIC needs 88 bytes, 10 left");
  expect_refused([&] { tpm::decode_duplicate_blob(ByteView(dup).first(4)); }, Errc::malformed,
                 "not a tpm2-duplicate-v1 share");
}

// tss2-mu 3.2.1 (Debian 12) takes these as valid TPM2B_PUBLICs: its reader ignores a
// TPMT_PUBLIC that does not parse and never holds the size field against the contents.
TEST(TpmMarshal, PublicAreasThatTss2MuAloneWouldTakeAreRefused) {
  const Bytes dup = duplicate_blob();

  Bytes bad_type = dup;
  set_u16(bad_type, kType, 0x9999);
  expect_refused([&] { tpm::decode_duplicate_blob(bad_type); }, Errc::malformed,
                 "its TPM2B_PUBLIC does not parse");

  Bytes long_coordinate = dup;
  set_u16(long_coordinate, kX, 200);
  expect_refused([&] { tpm::decode_duplicate_blob(long_coordinate); }, Errc::malformed,
                 "its TPM2B_PUBLIC does not parse");

  // The size field says one byte more than the public area has (and the byte is there).
  Bytes size_too_big = dup;
  const std::size_t end = kPub + 2 + u16_at(dup, kPub);
  size_too_big.insert(size_too_big.begin() + static_cast<std::ptrdiff_t>(end), 0);
  set_u16(size_too_big, kPub, u16_at(dup, kPub) + 1);
  expect_refused([&] { tpm::decode_duplicate_blob(size_too_big); }, Errc::malformed,
                 "TPM2B_PUBLIC says 87 bytes but the public area in it has 86");

  // One byte less: the public area runs past what its size frames.
  Bytes size_too_small = dup;
  set_u16(size_too_small, kPub, u16_at(dup, kPub) - 1);
  expect_refused([&] { tpm::decode_duplicate_blob(size_too_small); }, Errc::malformed,
                 "its TPM2B_PUBLIC does not parse");

  Bytes empty_public(dup.begin(), dup.begin() + kPub);
  empty_public.push_back(0);
  empty_public.push_back(0);
  empty_public.insert(empty_public.end(), dup.begin() + static_cast<std::ptrdiff_t>(end),
                      dup.end());
  expect_refused([&] { tpm::decode_duplicate_blob(empty_public); }, Errc::malformed,
                 "its TPM2B_PUBLIC is empty");

  // Control: tss2-mu's own TPM2B_PUBLIC reader says yes to the first of these.
  TPM2B_PUBLIC pub{};
  std::size_t off = kPub;
  EXPECT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(bad_type.data(), bad_type.size(), &off, &pub),
            TSS2_RC_SUCCESS)
      << "tss2-mu now checks the public area itself; the note in tpm/marshal.hpp can go";
}

TEST(TpmMarshal, OversizedPrivateAreaIsRefused) {
  const Bytes dup = duplicate_blob();
  const std::size_t priv = kPub + 2 + u16_at(dup, kPub);
  Bytes huge(dup.begin(), dup.begin() + static_cast<std::ptrdiff_t>(priv));
  huge.push_back(0x07);  // 0x0700 = 1792 bytes, more than TPM2B_PRIVATE's buffer
  huge.push_back(0x00);
  huge.resize(huge.size() + 0x700, 0xAA);
  expect_refused([&] { tpm::decode_duplicate_blob(huge); }, Errc::malformed,
                 "TPM2B_PRIVATE says 1792 bytes, more than one can hold");
}

TEST(TpmMarshal, CorruptedBytesAreRefusedOrParsedNeverCrash) {
  for (const Bytes& original : {duplicate_blob(), key_blob(), sealed_blob()}) {
    for (std::size_t i = 0; i < original.size(); ++i) {
      for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
        Bytes b = original;
        b[i] ^= mask;
        try {
          switch (original[3]) {
            case 'D':
              tpm::decode_duplicate_blob(b);
              break;
            case 'K':
              tpm::decode_key_blob(b);
              break;
            default:
              tpm::decode_sealed_blob(b);
              break;
          }
        } catch (const Error&) {
        }
      }
    }
  }
}

TEST(TpmMarshal, ParentPublicRefusesWhatIsNotAnSrk) {
  const tpm::TpmParentPublic parent{Scalar::random(Curve::p256()).public_point()};
  const Bytes pub = parent.to_tpm2b_public();
  Bytes rsa = pub;
  set_u16(rsa, 2, TPM2_ALG_RSA);  // parses as an RSA key of another shape, or does not parse
  const auto e = refusal([&] { tpm::TpmParentPublic::from_tpm2b_public(rsa); });
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->code() == Errc::unsupported || e->code() == Errc::malformed) << e->what();
  Bytes sha1 = pub;
  set_u16(sha1, 4, TPM2_ALG_SHA1);
  expect_refused([&] { tpm::TpmParentPublic::from_tpm2b_public(sha1); }, Errc::unsupported,
                 "nameAlg SHA-256");
}

}  // namespace
}  // namespace recrypt::testing
