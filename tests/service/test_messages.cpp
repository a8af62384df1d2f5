// The service's wire formats in-process: profiles, member entries, envelopes, signatures.
#include <gtest/gtest.h>

#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "tests/service/identities.hpp"

namespace recrypt::test {
namespace {

using service::ServiceError;

int refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const ServiceError& e) {
    return e.status();
  }
  return 0;
}

TEST(ServiceMessages, PersonalProfileRoundTrip) {
  auto p = make_person("alice@example.com", 2);
  auto v = service::verify_profile(p->token());
  ASSERT_EQ(v.type, service::ProfileType::personal);
  EXPECT_EQ(v.id(), p->id());
  EXPECT_EQ(v.personal->account, "alice@example.com");
  ASSERT_EQ(v.personal->devices.size(), 2u);
  EXPECT_EQ(v.personal->devices[1].signing_id(), p->devices[1]->kid());
}

TEST(ServiceMessages, GroupProfileRoundTrip) {
  TestGroup g("friends@example.com", "http://127.0.0.1:1");
  g.rotate();
  auto v = service::verify_group_profile(g.token());
  EXPECT_EQ(v.id(), g.id());
  EXPECT_EQ(v.key_id(), g.key_id());
  EXPECT_EQ(v.all_key_ids().size(), 2u);
}

TEST(ServiceMessages, ProfileSignedByAnotherKeyIsRefused) {
  auto p = make_person("alice@example.com");
  Scalar other = Scalar::random(Curve::p256());
  std::string forged = p->profile().sign(jws::software_signer(other));
  EXPECT_EQ(refusal([&] { service::verify_profile(forged); }), 400);
  EXPECT_EQ(refusal([&] { service::verify_profile("not.a.profile"); }), 400);
  std::string token = p->token();
  token[token.size() / 2] = token[token.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(refusal([&] { service::verify_profile(token); }), 400);
}

TEST(ServiceMessages, MemberEntryWrapsTheShareForEachDevice) {
  auto p = make_person("bob@example.com", 2);
  TestGroup g("friends@example.com", "http://127.0.0.1:1");
  auto e = g.entry_for(*p, recrypt_only());
  auto parsed = service::MemberEntry::from_json(e.to_json());
  ASSERT_EQ(parsed.wrapped_shares.size(), 2u);
  Scalar r = jwk::to_private(*parsed.recryption_key);
  Scalar x = service::unwrap_share(parsed.wrapped_shares.at(p->devices[1]->encryption_id()), p->devices[1]->encryption);
  EXPECT_TRUE(r.plus(x).equals(g.secret()));
}

TEST(ServiceMessages, MemberEntryRejectsBadFields) {
  Json bad{{"member", 5}};
  EXPECT_EQ(refusal([&] { service::MemberEntry::from_json(bad); }), 400);
  Json bad_status{{"member", "X"}, {"status", "ALIVE"}};
  EXPECT_EQ(refusal([&] { service::MemberEntry::from_json(bad_status); }), 400);
  Json bad_priv{{"member", "X"}, {"privileges", {"ROOT"}}};
  EXPECT_EQ(refusal([&] { service::MemberEntry::from_json(bad_priv); }), 400);
  Json bad_share{{"member", "X"}, {"wrapped_shares", {{"dev", "not a jwe"}}}};
  EXPECT_EQ(refusal([&] { service::MemberEntry::from_json(bad_share); }), 400);
}

TEST(ServiceMessages, EnvelopeNeedsOneTaggedObject) {
  EXPECT_EQ(service::parse_request(R"({"HelloRequest":{}})", 1024).name, "Hello");
  EXPECT_EQ(refusal([] { service::parse_request(R"({"Hello":{}})", 1024); }), 400);
  EXPECT_EQ(refusal([] { service::parse_request(R"({"HelloRequest":{},"X":1})", 1024); }), 400);
  EXPECT_EQ(refusal([] { service::parse_request(R"({"HelloRequest":[]})", 1024); }), 400);
  EXPECT_EQ(refusal([] { service::parse_request(R"([1,2])", 1024); }), 400);
  EXPECT_EQ(refusal([] { service::parse_request(std::string(2000, ' '), 1024); }), 413);
  EXPECT_EQ(refusal([] { service::parse_response(R"({"HelloResponse":{"Status":404,"StatusDescription":"no"}})", 1024, "Hello"); }),
            404);
}

TEST(ServiceMessages, RequestSignatureCarriesItsClaims) {
  Scalar key = Scalar::random(Curve::p256());
  std::string sig = service::sign_request("body", jws::software_signer(key), "KID", "http://aud", 1234);
  EXPECT_EQ(service::signature_kid(sig), "KID");
  auto claims = service::verify_request(sig, "body", key.public_point());
  EXPECT_EQ(claims.iat, 1234);
  EXPECT_EQ(claims.aud, "http://aud");
  EXPECT_EQ(base64url::decode(claims.nonce).size(), 16u);
  EXPECT_EQ(refusal([&] { service::verify_request(sig, "other body", key.public_point()); }), 401);
  // Taken apart once, verified with a prepared key, as recryptd does.
  service::SignatureHeader header = service::parse_signature(sig);
  EXPECT_EQ(header.kid, "KID");
  EXPECT_EQ(service::verify_request(header, "body", jws::VerifyKey(key.public_point())).iat, 1234);
  EXPECT_EQ(refusal([] { service::parse_signature("x.y"); }), 401);
  EXPECT_EQ(refusal([] { service::parse_signature(""); }), 401);
}

}  // namespace
}  // namespace recrypt::test
