// The authorization matrix, one case each: who may do what, and which signatures count.
#include "protocol/recryption.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

class Authorization : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    create_group();
    bob = member("bob@example.com");
  }

  // A signed GetGroup from bob's device, posted raw so the signature can be anything.
  std::string body() const {
    return service::serialize_request("GetGroup", Json{{"group", group->name}});
  }
  // "STATUS StatusDescription" of the answer; the HTTP status must mirror the Status.
  std::string post(const std::string& signature) {
    auto c = client(*bob);
    auto raw = c.post_raw(body(), signature);
    const Json answer = Json::parse(raw.body).begin().value();
    int status = answer.at("Status").get<int>();
    EXPECT_EQ(raw.status, status);
    return std::to_string(status) + " " + answer.at("StatusDescription").get<std::string>();
  }
  std::string sign(const std::string& b, std::int64_t iat, const std::string& aud) {
    return service::sign_request(b, bob->devices[0]->signer(), bob->devices[0]->kid(), aud, iat);
  }
  std::string recrypt(const TestPerson& p, const std::string& key_id, int device = 0) {
    Scalar t = Scalar::random(Curve::p256());
    return outcome_of([&] {
      client(p, device).recrypt_data({group->name, key_id, t.public_point()});
    });
  }

  std::unique_ptr<TestPerson> bob;
};

TEST_F(Authorization, SignedRequestIsAccepted) {
  EXPECT_EQ(post(sign(body(), service::unix_now(), server.url())), "201 OK");
}

TEST_F(Authorization, UnsignedIsRefused) {
  EXPECT_EQ(post(""), "401 request is not signed (Recrypt-Signature header missing)");
}

TEST_F(Authorization, BadSignatureIsRefused) {
  std::string sig = sign(service::serialize_request("GetGroup", Json{{"group", "other"}}),
                         service::unix_now(), server.url());
  EXPECT_EQ(post(sig), "401 request signature does not verify");
  EXPECT_EQ(post("not-a-jws"),
            "401 request signature is malformed: JWS compact serialization must have exactly three "
            "parts");
}

TEST_F(Authorization, UnknownKidIsRefused) {
  Scalar k = Scalar::random(Curve::p256());
  EXPECT_EQ(post(service::sign_request(body(), jws::software_signer(k),
                                       "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG", server.url())),
            "401 request is signed by an unknown key");
}

TEST_F(Authorization, StaleIatIsRefused) {
  EXPECT_EQ(post(sign(body(), service::unix_now() - 3600, server.url())),
            "401 request signature is stale (check the clock)");
  EXPECT_EQ(post(sign(body(), service::unix_now() + 3600, server.url())),
            "401 request signature is stale (check the clock)");
}

TEST_F(Authorization, ReplayedNonceIsRefused) {
  std::string sig = sign(body(), service::unix_now(), server.url());
  EXPECT_EQ(post(sig), "201 OK");
  EXPECT_EQ(post(sig), "401 request is a replay (nonce already seen)");
}

TEST_F(Authorization, WrongAudienceIsRefused) {
  EXPECT_EQ(post(sign(body(), service::unix_now(), "http://127.0.0.1:1")),
            "401 request is signed for another audience");
}

TEST_F(Authorization, NonAdminAddsMemberRefused) {
  auto carol = make_person("carol@example.com");
  publish(*carol);
  auto request = add_request(*carol, recrypt_only(), MemberStatus::active, bob.get());
  EXPECT_EQ(refusal_of([&] { client(*bob).add_member(request); }),
            "this transaction needs an ACTIVE member with ADMIN privilege");
}

TEST_F(Authorization, AdminChangesSuperPrivilegeRefused) {
  auto admin = member("admin@example.com");
  // Only SUPER grants ADMIN: alice makes this one an ADMIN.
  client(*alice).update_member(update_request(*admin, std::nullopt, admin_privs()));
  auto c = client(*admin);
  // The record is the admin's own: the chain's rules refuse it, whoever sends it.
  auto demote_alice = update_request(*alice, std::nullopt, recrypt_only(), admin.get());
  EXPECT_NE(refusal_of([&] {
              c.update_member(demote_alice);
            }).find("only a SUPER member changes an ADMIN or SUPER"),
            std::string::npos);
  auto promote_bob = update_request(*bob, std::nullopt, super_privs(), admin.get());
  EXPECT_NE(refusal_of([&] { client(*alice).update_member(promote_bob); }).find("not SUPER"),
            std::string::npos);
  // An ADMIN may still manage plain members.
  EXPECT_EQ(
      outcome_of([&] {
        c.update_member(update_request(*bob, MemberStatus::suspended, std::nullopt, admin.get()));
      }),
      "201 OK");
}

TEST_F(Authorization, SuspendedMemberRecryptRefused) {
  EXPECT_EQ(recrypt(*bob, group->key_id()), "201 OK");
  client(*alice).update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(recrypt(*bob, group->key_id()), "401 member is suspended");
}

TEST_F(Authorization, RevokedMemberRecryptRefused) {
  client(*alice).update_member(update_request(*bob, MemberStatus::revoked, std::nullopt));
  EXPECT_EQ(recrypt(*bob, group->key_id()), "401 member is revoked");
}

TEST_F(Authorization, DeviceNotInProfileRefused) {
  // The profile key itself is no device; a device dropped from the profile no longer counts.
  EXPECT_EQ(recrypt(*bob, group->key_id(), -1),
            "401 RecryptData must be signed by a device key listed in a personal profile");
  auto old_device = std::move(bob->devices[0]);
  bob->devices[0] = std::make_unique<TestDevice>();
  bob->devices[0]->name = "new laptop";
  publish(*bob);
  Scalar t = Scalar::random(Curve::p256());
  service::Client c(server.url(), server.url(), old_device->signer(), old_device->kid());
  EXPECT_EQ(outcome_of([&] {
              c.recrypt_data({group->name, group->key_id(), t.public_point()});
            }),
            "401 request is signed by an unknown key");
  // The new device is listed but has no wrapped share yet.
  EXPECT_EQ(recrypt(*bob, group->key_id()),
            "404 no share is wrapped for this device; ask an administrator to add it");
}

TEST_F(Authorization, DeviceDroppedAfterUseIsRefusedAtOnce) {
  // The service keeps what a device's last RecryptData read; dropping the device from the
  // profile must still take effect for its very next request.
  auto old_device = std::move(bob->devices[0]);
  bob->devices[0] = std::make_unique<TestDevice>();
  std::swap(bob->devices[0], old_device);
  service::Client c(server.url(), server.url(), bob->devices[0]->signer(), bob->devices[0]->kid());
  Scalar t = Scalar::random(Curve::p256());
  EXPECT_EQ(outcome_of([&] {
              c.recrypt_data({group->name, group->key_id(), t.public_point()});
            }),
            "201 OK");
  EXPECT_EQ(outcome_of([&] {
              c.recrypt_data({group->name, group->key_id(), t.public_point()});
            }),
            "201 OK");
  std::swap(bob->devices[0], old_device);  // the profile now lists only the new device
  bob->devices[0]->name = "replacement";
  publish(*bob);
  EXPECT_EQ(outcome_of([&] {
              c.recrypt_data({group->name, group->key_id(), t.public_point()});
            }),
            "401 request is signed by an unknown key");
}

TEST_F(Authorization, WrongKeyIdRefused) {
  EXPECT_EQ(recrypt(*bob, "MDDK-7N6A-727A-JZNO-STRX-XKS7-DJAF"),
            "404 no recryption key for this member and key_id");
}

TEST_F(Authorization, MemberWithoutRecryptPrivilegeRefused) {
  client(*alice).update_member(update_request(*bob, std::nullopt, service::Privileges{}));
  EXPECT_EQ(recrypt(*bob, group->key_id()), "401 member lacks the RECRYPT privilege");
}

}  // namespace
}  // namespace recrypt::test
