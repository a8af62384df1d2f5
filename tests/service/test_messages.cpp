// The service's wire formats in-process: profiles, member entries, envelopes, signatures.
#include <gtest/gtest.h>

#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "protocol/udf.hpp"
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

// What verify_profile says when it refuses `token` with 400, "" when it accepts it.
std::string refusal_400(std::string_view token) {
  try {
    (void)service::verify_profile(token);
  } catch (const ServiceError& e) {
    EXPECT_EQ(e.status(), 400);
    return e.description();
  }
  return "";
}

std::string no_proof(const TestPerson& p, const std::string& device) {
  return "device \"" + device + "\" of profile " + p.id() +
         " has no valid proof of possession by its signing key";
}

TEST(ServiceMessages, HonestDeviceProofsVerify) {
  auto p = make_person("alice@example.com", 2);
  auto v = service::verify_personal_profile(p->token());
  for (const service::Device& d : v.devices) {
    EXPECT_EQ(d.proof.size(), 64u);
    EXPECT_TRUE(d.proof_verifies(p->id()));
  }
  EXPECT_EQ(refusal_400(p->token()), "");
}

TEST(ServiceMessages, DeviceProofStatementLayout) {
  auto p = make_person("alice@example.com");
  service::Device d = p->profile().devices.at(0);
  EXPECT_EQ(
      as_chars(d.proof_statement("PROFILE-ID")),
      "recrypt device proof v1\nPROFILE-ID\n" + d.signing_id() + "\n" + d.encryption_id() + "\n\n");
  Point parent = Scalar::random(Curve::p256()).public_point();
  d.tpm_parent = parent;
  EXPECT_EQ(as_chars(d.proof_statement("PROFILE-ID")),
            "recrypt device proof v1\nPROFILE-ID\n" + d.signing_id() + "\n" + d.encryption_id() +
                "\n" + udf::key_fingerprint(parent) + "\n");
}

// Each way a device's proof can fail, on the second of two devices: the profile is refused
// and the refusal names that device and the profile.
TEST(ServiceMessages, DeviceWithoutValidProofIsRefused) {
  auto p = make_person("alice@example.com", 2);
  auto signed_with = [&](const std::function<void(service::Device&)>& change) {
    service::PersonalProfile profile = p->profile();
    change(profile.devices.at(1));
    return profile.sign(p->profile_signer());
  };
  Scalar other = Scalar::random(Curve::p256());
  Scalar other_profile = Scalar::random(Curve::p256());
  std::string other_id = udf::key_fingerprint(other_profile.public_point());
  // Made by another key than the device's signing key.
  EXPECT_EQ(refusal_400(signed_with(
                [&](service::Device& d) { d.prove(p->id(), jws::software_signer(other)); })),
            no_proof(*p, "device1"));
  // Made by the device's key, but for another profile.
  EXPECT_EQ(refusal_400(signed_with(
                [&](service::Device& d) { d.prove(other_id, p->devices[1]->signer()); })),
            no_proof(*p, "device1"));
  // Missing, as in every profile published before proofs.
  EXPECT_EQ(refusal_400(signed_with([](service::Device& d) { d.proof.clear(); })),
            no_proof(*p, "device1"));
  // The other device's proof.
  EXPECT_EQ(refusal_400(signed_with(
                [&](service::Device& d) { d.proof = p->profile().devices.at(0).proof; })),
            no_proof(*p, "device1"));
  // A valid proof, but the encryption key or TPM parent beside it changed: it binds them too.
  EXPECT_EQ(refusal_400(
                signed_with([&](service::Device& d) { d.encryption_key = other.public_point(); })),
            no_proof(*p, "device1"));
  EXPECT_EQ(
      refusal_400(signed_with([&](service::Device& d) { d.tpm_parent = other.public_point(); })),
      no_proof(*p, "device1"));
  // Not base64url at all.
  service::PersonalProfile profile = p->profile();
  Json payload = profile.payload();
  payload["devices"][1]["proof"] = "not base64url!";
  std::string token = jws::sign_compact(Json{{"kid", p->id()}, {"typ", "recrypt-profile"}},
                                        as_bytes(payload.dump()), p->profile_signer());
  EXPECT_EQ(refusal_400(token), no_proof(*p, "device1"));
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
  Scalar x = service::unwrap_share(parsed.wrapped_shares.at(p->devices[1]->encryption_id()),
                                   p->devices[1]->encryption);
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
  EXPECT_EQ(refusal([] {
              service::parse_response(
                  R"({"HelloResponse":{"Status":404,"StatusDescription":"no"}})", 1024, "Hello");
            }),
            404);
}

TEST(ServiceMessages, RequestSignatureCarriesItsClaims) {
  Scalar key = Scalar::random(Curve::p256());
  std::string sig =
      service::sign_request("body", jws::software_signer(key), "KID", "http://aud", 1234);
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
