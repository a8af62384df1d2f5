// JWS and JWE round trips, JWK conversions, and what a tampered envelope does.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "protocol/base64url.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "protocol/udf.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

const Curve& p256() { return Curve::p256(); }

TEST(Jwk, PublicRoundTrip) {
  Point p = Scalar::random(p256()).public_point();
  Json j = jwk::from_public(p);
  EXPECT_EQ(j["kty"], "EC");
  EXPECT_EQ(j["crv"], "P-256");
  EXPECT_EQ(j["x"].get<std::string>().size(), 43u);
  EXPECT_TRUE(jwk::to_public(j) == p);
  EXPECT_TRUE(jwk::to_public(Json::parse(j.dump())) == p);
}

TEST(Jwk, PrivateRoundTripAndMismatchRefused) {
  Scalar k = Scalar::random(p256());
  SecretJson j = jwk::from_private(k);
  EXPECT_TRUE(jwk::to_private(j).equals(k));
  SecretJson other = jwk::from_private(Scalar::random(p256()));
  j["x"] = other["x"];
  j["y"] = other["y"];
  EXPECT_ERRC(jwk::to_private(j), Errc::invalid_key);
  SecretJson no_d = jwk::from_private(k);
  no_d.erase("d");
  EXPECT_ERRC(jwk::to_private(no_d), Errc::malformed);
}

TEST(Jws, CompactRoundTrip) {
  Scalar k = Scalar::random(p256());
  Point pub = k.public_point();
  for (std::size_t n : {0u, 1u, 100u, 5000u}) {
    Bytes payload = test::random_bytes(n);
    std::string token =
        jws::sign_compact(Json{{"kid", "K1"}, {"nonce", "abc"}}, payload, jws::software_signer(k));
    jws::Verified v = jws::verify_compact(token, pub);
    EXPECT_EQ(v.payload, payload);
    EXPECT_EQ(v.header, (Json{{"alg", "ES256"}, {"kid", "K1"}, {"nonce", "abc"}}));
    EXPECT_EQ(jws::unverified_header(token)["kid"], "K1");
    Point other = Scalar::random(p256()).public_point();
    EXPECT_ERRC(jws::verify_compact(token, other), Errc::decrypt_failed);
  }
}

TEST(Jws, DetachedRoundTrip) {
  Scalar k = Scalar::random(p256());
  Bytes body = test::random_bytes(300);
  std::string token = jws::sign_detached(Json{{"aud", "svc"}}, body, jws::software_signer(k));
  EXPECT_NE(token.find(".."), std::string::npos);
  EXPECT_EQ(jws::verify_detached(token, body, k.public_point())["aud"], "svc");
  Bytes altered = body;
  altered[150] ^= 1;
  EXPECT_ERRC(jws::verify_detached(token, altered, k.public_point()), Errc::decrypt_failed);
  // A compact token is not a detached one and the other way round.
  std::string compact = jws::sign_compact(Json::object(), body, jws::software_signer(k));
  EXPECT_ERRC(jws::verify_detached(compact, body, k.public_point()), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token, k.public_point()), Errc::decrypt_failed);
}

TEST(Jws, PreparedKeyVerifiesManyTimesAndOnSeveralThreads) {
  Scalar k = Scalar::random(p256());
  jws::VerifyKey key(k.public_point());
  jws::VerifyKey other(Scalar::random(p256()).public_point());
  Bytes body = test::random_bytes(200);
  std::string token = jws::sign_detached(Json{{"kid", "K"}}, body, jws::software_signer(k));
  jws::Parsed parsed = jws::parse(token);
  EXPECT_EQ(parsed.header["kid"], "K");
  // A prepared key is shared, immutable state: copies verify concurrently (recryptd's cache).
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, copy = key] {
      for (int i = 0; i < 20; ++i)
        if (jws::verify_detached(parsed, body, copy)["kid"] == "K") ++good;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(good, 80);
  EXPECT_ERRC(jws::verify_detached(parsed, body, other), Errc::decrypt_failed);
  std::string compact = jws::sign_compact(Json::object(), body, jws::software_signer(k));
  EXPECT_EQ(jws::verify_compact(compact, key).payload, body);
  EXPECT_ERRC(jws::verify_detached(jws::parse(compact), body, key), Errc::malformed);
}

TEST(Jws, SignatureEncodings) {
  Scalar k = Scalar::random(p256());
  for (int i = 0; i < 20; ++i) {
    Bytes digest = test::random_bytes(32);
    Bytes raw = jws::software_signer(k)(digest);
    ASSERT_EQ(raw.size(), 64u);
    EXPECT_EQ(jws::der_to_raw(jws::raw_to_der(raw), 32), raw);
  }
  EXPECT_ERRC(jws::der_to_raw(Bytes{0x30, 0x00, 0x00}, 32), Errc::malformed);
  EXPECT_ERRC(jws::raw_to_der(Bytes(63, 1)), Errc::malformed);
  EXPECT_ERRC(jws::raw_to_der(Bytes{}), Errc::malformed);
  // A high-s or zero signature never verifies, and is not an exception.
  Point pub = k.public_point();
  EXPECT_FALSE(jws::verify_es256(pub, as_bytes("m"), Bytes(64, 0)));
  EXPECT_FALSE(jws::verify_es256(pub, as_bytes("m"), Bytes(64, 0xff)));
  EXPECT_FALSE(jws::verify_es256(pub, as_bytes("m"), Bytes(65, 1)));
}

jwe::Locator locator() {
  return {"accounting@example.com", "MB2G-GROUP-ID", "https://recrypt.example.com/"};
}

TEST(Jwe, RoundTripWithLocatorAndKid) {
  Scalar a = Scalar::random(p256());
  Point big_a = a.public_point();
  for (std::size_t n : {0u, 1u, 31u, 1000u, 70000u}) {
    Bytes plaintext = test::random_bytes(n);
    jwe::Envelope e =
        jwe::encrypt(plaintext, {{jwe::RecipientKey{big_a, {}, locator()}}}, "text/plain");
    std::string text = e.serialize();
    EXPECT_EQ(text.find('\n'), std::string::npos);
    jwe::Envelope parsed = jwe::Envelope::parse(text);
    EXPECT_EQ(parsed.protected_header, (Json{{"enc", "A256GCM"}, {"cty", "text/plain"}}));
    ASSERT_EQ(parsed.recipients.size(), 1u);
    const jwe::Recipient& r = parsed.recipients[0];
    EXPECT_EQ(r.alg, jwe::kAlgEcdhEs);
    ASSERT_EQ(r.agreements.size(), 1u);
    EXPECT_EQ(r.agreements[0].kid, udf::key_fingerprint(big_a));
    ASSERT_TRUE(r.agreements[0].locator.has_value());
    EXPECT_EQ(*r.agreements[0].locator, locator());
    EXPECT_EQ(r.encrypted_key.size(), 40u);
    EXPECT_EQ(to_bytes(jwe::open_with_private_key(parsed, a)), plaintext);
    // Serializing the parsed envelope again gives the same text.
    EXPECT_EQ(parsed.serialize(), text);
  }
}

TEST(Jwe, FreshRandomnessEachTime) {
  Scalar a = Scalar::random(p256());
  jwe::Envelope e1 =
      jwe::encrypt(as_bytes("same"), {{jwe::RecipientKey{a.public_point(), "k", {}}}});
  jwe::Envelope e2 =
      jwe::encrypt(as_bytes("same"), {{jwe::RecipientKey{a.public_point(), "k", {}}}});
  EXPECT_NE(e1.iv, e2.iv);
  EXPECT_NE(e1.ciphertext, e2.ciphertext);
  EXPECT_NE(e1.recipients[0].encrypted_key, e2.recipients[0].encrypted_key);
  EXPECT_FALSE(e1.recipients[0].agreements[0].epk == e2.recipients[0].agreements[0].epk);
  EXPECT_EQ(e1.recipients[0].agreements[0].kid, "k");
}

TEST(Jwe, OpensTheRecipientNamingTheKeyEvenWhenNotFirst) {
  Scalar a = Scalar::random(p256());
  std::vector<jwe::RecipientSpec> specs;
  for (int i = 0; i < 5; ++i)
    specs.push_back({jwe::RecipientKey{Scalar::random(p256()).public_point(), {}, {}}});
  specs.push_back({jwe::RecipientKey{a.public_point(), {}, {}}});
  jwe::Envelope e = jwe::Envelope::parse(jwe::encrypt(as_bytes("hello"), specs).serialize());
  EXPECT_EQ(as_chars(jwe::open_with_private_key(e, a)), "hello");
  // With a kid that names some other key, it still finds it by trying.
  jwe::Envelope renamed = e;
  renamed.recipients.back().agreements[0].kid = "SOMEONE-ELSE";
  EXPECT_EQ(as_chars(jwe::open_with_private_key(renamed, a)), "hello");
}

TEST(Jwe, TamperingRefused) {
  Scalar a = Scalar::random(p256());
  Bytes plaintext = test::random_bytes(64);
  const jwe::Envelope e = jwe::Envelope::parse(
      jwe::encrypt(plaintext, {{jwe::RecipientKey{a.public_point(), {}, {}}}}).serialize());
  for (std::size_t i = 0; i < e.ciphertext.size(); ++i) {
    jwe::Envelope bad = e;
    bad.ciphertext[i] ^= 0x20;
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  for (std::size_t i = 0; i < e.tag.size(); ++i) {
    jwe::Envelope bad = e;
    bad.tag[i] ^= 0x01;
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  for (std::size_t i = 0; i < e.iv.size(); ++i) {
    jwe::Envelope bad = e;
    bad.iv[i] ^= 0x01;
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  for (std::size_t i = 0; i < e.recipients[0].encrypted_key.size(); ++i) {
    jwe::Envelope bad = e;
    bad.recipients[0].encrypted_key[i] ^= 0x01;
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  {
    // The protected header is the additional data: re-encoding it differently fails.
    jwe::Envelope bad = e;
    bad.protected_b64 = base64url::encode(as_bytes(R"({"enc":"A256GCM" })"));
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  {
    // Another ephemeral key gives another KEK.
    jwe::Envelope bad = e;
    bad.recipients[0].agreements[0].epk = Scalar::random(p256()).public_point();
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
  {
    // apu / apv take part in the KDF.
    jwe::Envelope bad = e;
    bad.recipients[0].apu = to_bytes(as_bytes("Mallory"));
    EXPECT_ERRC(jwe::open_with_private_key(bad, a), Errc::decrypt_failed);
  }
}

}  // namespace
}  // namespace recrypt
