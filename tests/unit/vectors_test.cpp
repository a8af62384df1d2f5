// Known answers from published specifications: UDF (draft-hallambaker-udf), RFC 7518
// Appendix C (ECDH-ES + Concat KDF), RFC 3394 §4 (AES key wrap with a 256-bit KEK),
// RFC 7515 Appendix A.3 (ES256), and base64url's strictness (RFC 7515 §2, RFC 4648 §3.5).
#include <gtest/gtest.h>

#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "protocol/primitives.hpp"
#include "protocol/udf.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using test::error_of;

constexpr std::string_view kUdfData = "UDF Data Value";

TEST(Udf, Sha2KnownAnswer) {
  EXPECT_EQ(udf::fingerprint("text/plain", as_bytes(kUdfData)),
            "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF");
}

TEST(Udf, Sha3KnownAnswer) {
  EXPECT_EQ(udf::fingerprint("text/plain", as_bytes(kUdfData), 140, udf::Hash::sha3_512),
            "KCFI-NCQG-DRKG-47R7-OVPT-TCHZ-7UXY");
}

TEST(Udf, PrecisionIsAPrefix) {
  std::string full = udf::fingerprint("text/plain", as_bytes(kUdfData), 440);
  EXPECT_EQ(full.rfind("MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF", 0), 0u);
  EXPECT_EQ(udf::fingerprint("text/plain", as_bytes(kUdfData), 100), "MDDK-7N6A-727A-JZNO-STRX");
  EXPECT_ERRC(udf::fingerprint("text/plain", as_bytes(kUdfData), 80), Errc::unsupported);
  EXPECT_ERRC(udf::fingerprint("text/plain", as_bytes(kUdfData), 130), Errc::unsupported);
  EXPECT_ERRC(udf::fingerprint("text/plain", as_bytes(kUdfData), 460), Errc::unsupported);
}

TEST(Udf, ContentTypeIsBound) {
  EXPECT_NE(udf::fingerprint("text/plain", as_bytes(kUdfData)),
            udf::fingerprint("text/html", as_bytes(kUdfData)));
}

TEST(Udf, MatchesTypedForms) {
  const std::string full = "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF";
  EXPECT_TRUE(udf::matches(full, full));
  EXPECT_TRUE(udf::matches(full, "MDDK-7N6A-727A-JZNO-STRX"));            // shorter, 100 bits
  EXPECT_TRUE(udf::matches(full, "MDDK7N6A727AJZNOSTRXXKS7DJAF"));        // no dashes
  EXPECT_TRUE(udf::matches(full, "mddk-7n6a-727a-jzno-strx-xks7-djaf"));  // lower case
  EXPECT_TRUE(udf::matches(full, "Mddk7-N6A727-AJZNOSTRX"));              // dashes anywhere
  std::string longer = udf::fingerprint("text/plain", as_bytes(kUdfData), 200);
  EXPECT_TRUE(udf::matches(full, longer));  // a longer form of the same fingerprint
  EXPECT_TRUE(udf::matches(longer, full));
}

TEST(Udf, MatchRefusesShortOrWrongForms) {
  const std::string full = "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF";
  EXPECT_FALSE(udf::matches(full, "MDDK-7N6A-727A-JZNO-STR"));  // 95 bits
  EXPECT_FALSE(udf::matches(full, "MDDK"));
  EXPECT_FALSE(udf::matches(full, ""));
  EXPECT_FALSE(udf::matches(full, "MDDK-7N6A-727A-JZNO-STRY"));  // last character differs
  EXPECT_FALSE(udf::matches(full, "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAG"));
  EXPECT_FALSE(udf::matches(full, "MDDK-7N6A-727A-JZNO-STR0"));  // 0 is not Base32
  EXPECT_FALSE(udf::matches(full, "MDDK 7N6A 727A JZNO STRX"));  // spaces are not dashes
  // The shorter side decides how much is compared: a stored value shorter than 100 bits
  // must not match a long typed one by its few characters.
  EXPECT_FALSE(udf::matches("MDDK-7N6A", full));
}

TEST(Udf, NormalizeRefusesOutsideAlphabet) {
  EXPECT_EQ(udf::normalize("md-dk"), "MDDK");
  EXPECT_ERRC(udf::normalize("MDD1"), Errc::malformed);
  EXPECT_ERRC(udf::normalize("MDD="), Errc::malformed);
  EXPECT_ERRC(udf::normalize(std::string("MD\0K", 4)), Errc::malformed);
}

TEST(Udf, Base32Rfc4648) {
  // RFC 4648 §10, without the padding.
  EXPECT_EQ(udf::base32(as_bytes("")), "");
  EXPECT_EQ(udf::base32(as_bytes("f")), "MY");
  EXPECT_EQ(udf::base32(as_bytes("fo")), "MZXQ");
  EXPECT_EQ(udf::base32(as_bytes("foo")), "MZXW6");
  EXPECT_EQ(udf::base32(as_bytes("foob")), "MZXW6YQ");
  EXPECT_EQ(udf::base32(as_bytes("fooba")), "MZXW6YTB");
  EXPECT_EQ(udf::base32(as_bytes("foobar")), "MZXW6YTBOI");
}

// RFC 7518 Appendix C.
const Json kAlicePublic = {{"kty", "EC"},
                           {"crv", "P-256"},
                           {"x", "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0"},
                           {"y", "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}};
constexpr std::string_view kAliceD = "0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo";
const Json kBobPublic = {{"kty", "EC"},
                         {"crv", "P-256"},
                         {"x", "weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ"},
                         {"y", "e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck"}};
constexpr std::string_view kBobD = "VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw";
const Bytes kAppendixCZ = {158, 86,  217, 29,  129, 113, 53,  211, 114, 131, 66,
                           131, 191, 132, 38,  156, 251, 49,  110, 163, 218, 128,
                           106, 72,  246, 218, 167, 121, 140, 254, 144, 196};

Scalar private_from(const Json& pub, std::string_view d) {
  SecretJson jwk = SecretJson::parse(pub.dump());
  jwk["d"] = SecureString(d);
  return jwk::to_private(jwk);
}

TEST(Rfc7518AppendixC, EcdhSharedSecret) {
  Scalar alice = private_from(kAlicePublic, kAliceD);
  Scalar bob = private_from(kBobPublic, kBobD);
  EXPECT_EQ(jwk::to_public(kBobPublic).times(alice).x_bytes(), kAppendixCZ);
  EXPECT_EQ(jwk::to_public(kAlicePublic).times(bob).x_bytes(), kAppendixCZ);
  EXPECT_TRUE(alice.public_point() == jwk::to_public(kAlicePublic));
}

TEST(Rfc7518AppendixC, ConcatKdf) {
  SecureBytes key = concat_kdf(kAppendixCZ, "A128GCM", as_bytes("Alice"), as_bytes("Bob"), 16);
  EXPECT_EQ(base64url::encode(key), "VqqN6vgjbSBcIijNcacQGg");
  // Every input is bound: changing any one changes the key.
  EXPECT_NE(
      base64url::encode(concat_kdf(kAppendixCZ, "A256GCM", as_bytes("Alice"), as_bytes("Bob"), 16)),
      "VqqN6vgjbSBcIijNcacQGg");
  EXPECT_NE(
      base64url::encode(concat_kdf(kAppendixCZ, "A128GCM", as_bytes("Bob"), as_bytes("Alice"), 16)),
      "VqqN6vgjbSBcIijNcacQGg");
  // Longer outputs extend by further SHA-256 rounds; the first 16 bytes are not a prefix
  // because the length is part of the input.
  EXPECT_EQ(concat_kdf(kAppendixCZ, "A128GCM", {}, {}, 48).size(), 48u);
}

// RFC 3394 §4.3, §4.5 and §4.6: the vectors with a 256-bit KEK.
struct WrapVector {
  const char* key;
  const char* wrapped;
};
constexpr const char* kKek256 = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";
const WrapVector kWrapVectors[] = {
    {"00112233445566778899AABBCCDDEEFF", "64E8C3F9CE0F5BA263E9777905818A2A93C8191E7D6E8AE7"},
    {"00112233445566778899AABBCCDDEEFF0001020304050607",
     "A8F9BC1612C68B3FF6E6F4FBE30E71E4769C8B80A32CB8958CD5D17D6B254DA1"},
    {"00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F",
     "28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21"},
};

TEST(Rfc3394, Kek256Vectors) {
  Bytes kek = from_hex(kKek256);
  for (const WrapVector& v : kWrapVectors) {
    SCOPED_TRACE(v.key);
    Bytes key = from_hex(v.key);
    Bytes wrapped = from_hex(v.wrapped);
    EXPECT_EQ(aes256_key_wrap(kek, key), wrapped);
    auto unwrapped = aes256_key_unwrap(kek, wrapped);
    ASSERT_TRUE(unwrapped.has_value());
    EXPECT_EQ(to_bytes(*unwrapped), key);
  }
}

TEST(Rfc3394, IntegrityCheckRefusesTamperingAndWrongKek) {
  Bytes kek = from_hex(kKek256);
  Bytes wrapped = from_hex(kWrapVectors[2].wrapped);
  for (std::size_t i = 0; i < wrapped.size(); ++i) {
    Bytes bad = wrapped;
    bad[i] ^= 0x01;
    EXPECT_FALSE(aes256_key_unwrap(kek, bad).has_value()) << "byte " << i;
  }
  Bytes other_kek = kek;
  other_kek[31] ^= 0x80;
  EXPECT_FALSE(aes256_key_unwrap(other_kek, wrapped).has_value());
  EXPECT_FALSE(aes256_key_unwrap(kek, ByteView(wrapped).first(wrapped.size() - 8)).has_value());
  EXPECT_FALSE(aes256_key_unwrap(kek, ByteView(wrapped).first(23)).has_value());
  EXPECT_FALSE(aes256_key_unwrap(kek, {}).has_value());
  EXPECT_ERRC(aes256_key_unwrap(ByteView(kek).first(16), wrapped), Errc::invalid_key);
  EXPECT_ERRC(aes256_key_wrap(kek, ByteView(wrapped).first(12)), Errc::malformed);
}

// RFC 7515 Appendix A.3.
const Json kA3Public = {{"kty", "EC"},
                        {"crv", "P-256"},
                        {"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU"},
                        {"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}};
constexpr std::string_view kA3D = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
constexpr std::string_view kA3Token =
    "eyJhbGciOiJFUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q"
    ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr std::string_view kA3Payload =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

TEST(Rfc7515AppendixA3, VerifiesPublishedToken) {
  Point key = jwk::to_public(kA3Public);
  jws::Verified v = jws::verify_compact(kA3Token, key);
  EXPECT_EQ(v.header, Json({{"alg", "ES256"}}));
  EXPECT_EQ(as_chars(v.payload), kA3Payload);
  EXPECT_EQ(jws::unverified_header(kA3Token), Json({{"alg", "ES256"}}));
}

TEST(Rfc7515AppendixA3, PrivateKeyMatchesAndSignsVerifiably) {
  Scalar d = private_from(kA3Public, kA3D);
  std::string token =
      jws::sign_compact(Json::object(), as_bytes(kA3Payload), jws::software_signer(d));
  EXPECT_EQ(as_chars(jws::verify_compact(token, jwk::to_public(kA3Public)).payload), kA3Payload);
}

TEST(Rfc7515AppendixA3, AlteredTokenRefused) {
  Point key = jwk::to_public(kA3Public);
  std::string token(kA3Token);
  auto last_dot = token.rfind('.');
  // Every character of the signing input and of the signature matters.
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    auto code = error_of([&] { jws::verify_compact(bad, key); });
    ASSERT_TRUE(code.has_value()) << "position " << i;
    if (i > last_dot) {
      // A changed signature either fails to verify or (in its last character) is no longer
      // canonical base64url.
      EXPECT_TRUE(*code == Errc::decrypt_failed || *code == Errc::malformed) << i;
    }
  }
  // A different key refuses the token.
  Point other = Scalar::random(Curve::p256()).public_point();
  EXPECT_ERRC(jws::verify_compact(kA3Token, other), Errc::decrypt_failed);
}

TEST(Base64url, KnownValues) {
  // RFC 4648 §10 in the URL alphabet, without padding.
  EXPECT_EQ(base64url::encode(as_bytes("")), "");
  EXPECT_EQ(base64url::encode(as_bytes("f")), "Zg");
  EXPECT_EQ(base64url::encode(as_bytes("fo")), "Zm8");
  EXPECT_EQ(base64url::encode(as_bytes("foo")), "Zm9v");
  EXPECT_EQ(base64url::encode(as_bytes("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64url::encode(Bytes{0xfb, 0xff, 0xbf}), "-_-_");
  EXPECT_EQ(base64url::decode("-_-_"), (Bytes{0xfb, 0xff, 0xbf}));
  EXPECT_EQ(as_chars(base64url::decode("Zm9vYmE")), "fooba");
  EXPECT_TRUE(base64url::decode("").empty());
}

TEST(Base64url, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 200; ++n) {
    Bytes data = test::random_bytes(n);
    std::string text = base64url::encode(data);
    EXPECT_EQ(
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    EXPECT_EQ(base64url::decode(text), data);
    EXPECT_EQ(to_bytes(base64url::decode_secret(text)), data);
  }
}

TEST(Base64url, Strict) {
  EXPECT_ERRC(base64url::decode("Zg=="), Errc::malformed);  // padding
  EXPECT_ERRC(base64url::decode("Zm8="), Errc::malformed);
  EXPECT_ERRC(base64url::decode("Zh"), Errc::malformed);  // non-zero unused bits
  EXPECT_ERRC(base64url::decode("Zm9"), Errc::malformed);
  EXPECT_ERRC(base64url::decode("Z"), Errc::malformed);  // impossible length
  EXPECT_ERRC(base64url::decode("Zm9vY"), Errc::malformed);
  EXPECT_ERRC(base64url::decode("+/+/"), Errc::malformed);    // standard alphabet
  EXPECT_ERRC(base64url::decode("Zm9v\n"), Errc::malformed);  // whitespace
  EXPECT_ERRC(base64url::decode(" Zm9v"), Errc::malformed);
  EXPECT_ERRC(base64url::decode("Zm 9v"), Errc::malformed);
  EXPECT_ERRC(base64url::decode("Zm9v.A"), Errc::malformed);
  EXPECT_ERRC(base64url::decode(std::string("Zm\0v", 4)), Errc::malformed);
  EXPECT_ERRC(base64url::decode("Zm9\xc3\xa9"), Errc::malformed);
  EXPECT_ERRC(base64url::decode_secret("Zh"), Errc::malformed);
  // Every non-canonical last character of a two-character value is refused.
  for (char c : std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")) {
    std::string text = std::string("Z") + c;
    auto code = error_of([&] { base64url::decode(text); });
    // 'Z' carries six bits of the byte, the second character two more and four unused
    // bits, which must be zero: only A, Q, g and w (values 0, 16, 32, 48) are canonical.
    bool canonical = std::string("AQgw").find(c) != std::string::npos;
    EXPECT_EQ(code.has_value(), !canonical) << text;
  }
}

// Outputs are spans of exactly the size the operation writes: a buffer too short (or too
// long, which hides a length mixed up) is a bug caught before OpenSSL writes anything.
TEST(Aes256Gcm, OutputMustHaveTheInputsSize) {
  Aes256Gcm gcm(Bytes(kAes256KeySize, 7));
  const Bytes nonce(kGcmNonceSize, 1);
  const Bytes plaintext = to_bytes(as_bytes("sixteen bytes!!!"));
  Bytes sealed(plaintext.size() + 1);
  EXPECT_ERRC(gcm.seal(nonce, {}, plaintext, std::span(sealed).first(plaintext.size() - 1)),
              Errc::internal);
  EXPECT_ERRC(gcm.seal(nonce, {}, plaintext, sealed), Errc::internal);
  auto tag = gcm.seal(nonce, {}, plaintext, std::span(sealed).first(plaintext.size()));
  const ByteView ciphertext = ByteView(sealed).first(plaintext.size());
  Bytes opened(plaintext.size() + 1);
  EXPECT_ERRC(gcm.open(nonce, {}, ciphertext, tag, std::span(opened).first(3)), Errc::internal);
  EXPECT_ERRC(gcm.open(nonce, {}, ciphertext, tag, opened), Errc::internal);
  ASSERT_TRUE(gcm.open(nonce, {}, ciphertext, tag, std::span(opened).first(plaintext.size())));
  EXPECT_EQ(Bytes(opened.begin(), opened.end() - 1), plaintext);
  // Nothing in, nothing out: an empty span, which may have no data at all.
  auto empty_tag = gcm.seal(nonce, {}, {}, {});
  EXPECT_TRUE(gcm.open(nonce, {}, {}, empty_tag, {}));
  EXPECT_ERRC(concat_kdf(kAppendixCZ, "A128GCM", {}, {}, 0), Errc::internal);  // ossl::kdf_derive
}

}  // namespace
}  // namespace recrypt
