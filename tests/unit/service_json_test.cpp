// The service's documents read through json::parse too: a repeated member name in a message,
// a profile or a membership record is refused with the rule's own words, and the refusal is
// the service's 400 (or, in an answer, the client's 500).
#include <gtest/gtest.h>

#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::service {
namespace {

struct Refusal {
  int status = 0;
  std::string description;
};

template <class F>
Refusal refusal_of(F&& f) {
  try {
    f();
  } catch (const ServiceError& e) {
    return {e.status(), e.what()};
  }
  return {};
}

// `json` with `extra` inserted right after its first "{".
std::string with_extra(const std::string& json, std::string_view extra) {
  std::string out = json;
  return out.insert(1, extra);
}

std::string b64(std::string_view s) { return base64url::encode(as_bytes(s)); }

TEST(ServiceJson, MessagesWithARepeatedMemberRefused) {
  Refusal r =
      refusal_of([] { parse_request(R"({"HelloRequest":{},"HelloRequest":{"x":1}})", 1000); });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"HelloRequest\" in request");
  r = refusal_of([] { parse_request(R"({"HelloRequest":{"Account":"a","Account":"b"}})", 1000); });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"Account\" in request");
  r = refusal_of(
      [] { parse_response(R"({"HelloResponse":{"Status":201,"Status":500}})", 1000, "Hello"); });
  EXPECT_EQ(r.status, status::kInternal);
  EXPECT_EQ(r.description, "service answered badly: duplicate member \"Status\" in response");
  // The same names without the repeat are fine.
  EXPECT_EQ(parse_request(R"({"HelloRequest":{"x":1}})", 1000).name, "Hello");
}

TEST(ServiceJson, ProfileWithARepeatedMemberRefused) {
  Scalar signing = Scalar::random(Curve::p256());
  GroupProfile group{"friends@example.com",
                     signing.public_point(),
                     Scalar::random(Curve::p256()).public_point(),
                     {},
                     "https://recrypt.example/",
                     "2026-01-01T00:00:00Z"};
  jws::Signer signer = jws::software_signer(signing);
  ASSERT_EQ(verify_group_profile(group.sign(signer)).name, "friends@example.com");
  // Signed by the right key, but naming the group twice: which name would a reader show?
  Json header{{"kid", group.id()}, {"typ", "recrypt-profile"}};
  std::string payload = with_extra(group.payload().dump(), R"("name":"admins@example.com",)");
  std::string token = jws::sign_compact(header, as_bytes(payload), signer);
  Refusal r = refusal_of([&] { verify_profile(token); });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"name\" in profile");
}

TEST(ServiceJson, MembershipRecordWithARepeatedMemberRefused) {
  Scalar signing = Scalar::random(Curve::p256());
  Point key = signing.public_point();
  jws::Signer signer = jws::software_signer(signing);
  std::string group_id = udf::key_fingerprint(key);
  MembershipRecord record{
      group_id,
      0,
      "",
      RecordOp::genesis,
      "KEY-ID",
      {MemberChange{"MEMBER-ID", MemberState{"alice@example.com", Privileges{true, true, true},
                                             MemberStatus::active}}},
      "2026-01-01T00:00:00Z"};
  ASSERT_EQ(parse_record(record.sign(key, signer)).record.seq, 0u);
  Json header{{"typ", kRecordType}, {"kid", group_id}, {"jwk", jwk::from_public(key)}};
  // In the signed payload: two sequence numbers.
  std::string token = jws::sign_compact(
      header, as_bytes(with_extra(record.payload().dump(), R"("seq":7,)")), signer);
  Refusal r = refusal_of([&] { parse_record(token); });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"seq\" in membership record");
  // In the header: two types, or two keys.
  std::string payload_b64 = b64(record.payload().dump());
  std::string sig = base64url::encode(Bytes(64, 1));
  r = refusal_of([&] {
    parse_record(b64(with_extra(header.dump(), R"("typ":"JWT",)")) + "." + payload_b64 + "." + sig);
  });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"typ\" in JWS header");
  Json other = jwk::from_public(Scalar::random(Curve::p256()).public_point());
  r = refusal_of([&] {
    parse_record(b64(with_extra(header.dump(), "\"jwk\":" + other.dump() + ",")) + "." +
                 payload_b64 + "." + sig);
  });
  EXPECT_EQ(r.status, status::kMalformed);
  EXPECT_EQ(r.description, "duplicate member \"jwk\" in JWS header");
}

}  // namespace
}  // namespace recrypt::service
