// The whole scheme at the library level against a real service: a sender encrypts to A, a
// member decrypts through the service's partial and its own share.
#include "protocol/jwe.hpp"
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"
#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

class EndToEnd : public ServiceTest {
 protected:
  std::string encrypt(const std::string& text) {
    jwe::Locator where{group->name, group->id(), server.url()};
    return jwe::encrypt(as_bytes(text),
                        {{jwe::RecipientKey{group->secret().public_point(), "", where}}})
        .serialize();
  }

  // What the agent does: ask the service for R, unwrap x, compute P = x·T on the device,
  // combine, unwrap the content key, decrypt. Throws ServiceError when the service refuses.
  std::optional<std::string> decrypt(const TestPerson& p, const std::string& envelope_text) {
    jwe::Envelope env = jwe::Envelope::parse(envelope_text);
    const jwe::Recipient& r = env.recipients.at(0);
    const jwe::KeyAgreement& ka = r.agreements.at(0);
    auto res = client(p).recrypt_data({ka.locator->group, ka.kid, ka.epk});
    Scalar x = service::unwrap_share(res.wrapped_share, p.devices[0]->encryption);
    Point z = recryption::combine(res.partial, ka.epk.times(x));
    auto key = jwe::try_unwrap(r, {z});
    if (!key) return std::nullopt;
    SecureBytes plain = jwe::decrypt_content(env, *key);
    return std::string(plain.begin(), plain.end());
  }
};

TEST_F(EndToEnd, MemberReadsThroughTheService) {
  create_group();
  auto bob = member("bob@example.com");
  std::string doc = encrypt("the minutes of the meeting");
  EXPECT_EQ(decrypt(*bob, doc), "the minutes of the meeting");
  EXPECT_EQ(decrypt(*alice, doc), "the minutes of the meeting");

  // Suspended: the service refuses, so bob's share alone is worth nothing.
  client(*alice).update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  EXPECT_EQ(outcome_of([&] { decrypt(*bob, doc); }), "401 member is suspended");
  // Reinstated: reads again.
  client(*alice).update_member(update_request(*bob, MemberStatus::active, std::nullopt));
  EXPECT_EQ(decrypt(*bob, doc), "the minutes of the meeting");
}

TEST_F(EndToEnd, RotationKeepsOldDocumentsAndLocksOutOldShares) {
  create_group();
  auto bob = member("bob@example.com");
  auto carol = member("carol@example.com");
  std::string old_doc = encrypt("before rotation");
  // Old share, for the check below.
  Scalar t0 = Scalar::random(Curve::p256());
  auto before = client(*carol).recrypt_data({group->name, group->key_id(), t0.public_point()});
  Scalar carol_old_x = service::unwrap_share(before.wrapped_share, carol->devices[0]->encryption);

  // Carol is revoked; the new key goes to alice and bob only.
  client(*alice).update_member(update_request(*carol, MemberStatus::revoked, std::nullopt));
  group->rotate();
  client(*alice).rotate_group_key(rotate_request(
      {group->entry_for(*alice, super_privs()), group->entry_for(*bob, recrypt_only())}));
  std::string new_doc = encrypt("after rotation");

  EXPECT_EQ(decrypt(*bob, new_doc), "after rotation");
  EXPECT_EQ(decrypt(*bob, old_doc), "before rotation");  // old key entries stay
  // Carol's old share with the old service partial of the new document opens nothing: the
  // service refuses her, and even a partial from the old key does not combine to the new Z.
  EXPECT_EQ(outcome_of([&] { decrypt(*carol, new_doc); }), "401 member is revoked");
  jwe::Envelope env = jwe::Envelope::parse(new_doc);
  const jwe::KeyAgreement& ka = env.recipients[0].agreements[0];
  auto bob_partial_old_key = client(*bob).recrypt_data(
      {group->name, udf::key_fingerprint(group->keys[0].public_point()), ka.epk});
  Point wrong_z = recryption::combine(bob_partial_old_key.partial, ka.epk.times(carol_old_x));
  EXPECT_FALSE(jwe::try_unwrap(env.recipients[0], {wrong_z}).has_value());
}

}  // namespace
}  // namespace recrypt::test
