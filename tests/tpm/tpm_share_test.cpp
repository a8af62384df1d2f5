// Resident member shares: an admin wraps x for a member TPM's parent key in software; the
// member's TPM imports it and computes x·T itself.
#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;

const Curve& p256() { return Curve::p256(); }

void expect_ecdh_is(tpm::TpmBackend& tpm, const std::string& id, const Scalar& x) {
  const Scalar t = Scalar::random(p256());
  const Point T = t.public_point();
  const auto result = tpm.ecdh(id, T);
  const Point expected = T.times(x);
  ASSERT_TRUE(result.y.has_value());
  EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), expected.x_bytes());
  EXPECT_EQ(Bytes(result.y->begin(), result.y->end()), expected.y_bytes());
}

TEST_F(TpmTest, DuplicationBlobImportThenEcdhEqualsShareTimesT) {
  auto member = make_backend();
  const tpm::TpmParentPublic parent = member->parent_public();

  // Admin side: software only, knows nothing but the parent's public key.
  const Scalar x = Scalar::random(p256());
  const backend::WrappedShare wrapped = tpm::wrap_share_for_tpm(parent, x);
  EXPECT_EQ(wrapped.format, "tpm2-duplicate-v1");
  const SecureBytes xb = x.to_bytes();
  EXPECT_EQ(std::search(wrapped.data.begin(), wrapped.data.end(), xb.begin(), xb.end()),
            wrapped.data.end());

  const auto info = member->import_share("accounting share", wrapped);
  EXPECT_TRUE(info.resident_share);
  EXPECT_EQ(info.purpose, backend::KeyPurpose::encryption);
  EXPECT_EQ(info.public_key, x.public_point());
  expect_ecdh_is(*member, info.id, x);

  // The share stays usable from its stored blob after the TPM restarts.
  member.reset();
  swtpm_->restart();
  member = make_backend();
  expect_ecdh_is(*member, info.id, x);
  const auto keys = member->list_keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_TRUE(keys[0].resident_share);
  EXPECT_EQ(keys[0].label, "accounting share");
}

TEST(TpmParentPublicTest, Tpm2bPublicRoundTripAndRejects) {
  const tpm::TpmParentPublic parent{Scalar::random(p256()).public_point()};
  const Bytes pub = parent.to_tpm2b_public();
  EXPECT_EQ(tpm::TpmParentPublic::from_tpm2b_public(pub).key, parent.key);
  Bytes truncated = pub;
  truncated.pop_back();
  EXPECT_THROW(tpm::TpmParentPublic::from_tpm2b_public(truncated), Error);
  Bytes not_restricted = pub;
  not_restricted[2 + 2 + 2 + 1] &= static_cast<std::uint8_t>(~0x01);  // attribute bit 16
  EXPECT_THROW(tpm::TpmParentPublic::from_tpm2b_public(not_restricted), Error);
  Bytes rsa = pub;
  rsa[3] = 0x01;  // TPM2_ALG_RSA
  EXPECT_THROW(tpm::TpmParentPublic::from_tpm2b_public(rsa), Error);
}

TEST_F(TpmTest, RawScalarImport) {
  auto member = make_backend();
  const Scalar x = Scalar::random(p256());
  const SecureBytes xb = x.to_bytes();
  const auto info = member->import_share("raw", backend::WrappedShare{"raw-scalar-v1", xb});
  expect_ecdh_is(*member, info.id, x);
  EXPECT_THROW(
      member->import_share("raw", backend::WrappedShare{"raw-scalar-v1", SecureBytes(31, 1)}),
      Error);
}

TEST_F(TpmTest, ShareWrappedForAnotherTpmIsRefused) {
  Swtpm other_tpm;
  TempDir other_data("recrypt-tpmdata");
  tpm::TpmConfig other_config;
  other_config.tcti = other_tpm.tcti();
  other_config.data_dir = other_data.path();
  tpm::TpmBackend other(other_config, constant_pin("1"));

  auto member = make_backend();
  ASSERT_FALSE(other.parent_public().key == member->parent_public().key);
  const Scalar x = Scalar::random(p256());
  const auto wrapped = tpm::wrap_share_for_tpm(other.parent_public(), x);
  expect_backend_error(BackendErrc::device, [&] { member->import_share("x", wrapped); });
  EXPECT_TRUE(member->list_keys().empty());
  // The right TPM takes it.
  expect_ecdh_is(other, other.import_share("x", wrapped).id, x);
}

TEST_F(TpmTest, TamperedOrForeignShareBlobsAreRefused) {
  auto member = make_backend();
  const Scalar x = Scalar::random(p256());
  const auto wrapped = tpm::wrap_share_for_tpm(member->parent_public(), x);

  // A bit flipped in the encrypted sensitive area: the outer HMAC catches it.
  auto flipped = wrapped;
  flipped.data[flipped.data.size() - 80] ^= 0x40;
  EXPECT_ANY_THROW(member->import_share("x", flipped));

  // Truncated or with trailing bytes: the parser refuses it before the TPM sees it.
  auto truncated = wrapped;
  truncated.data.resize(truncated.data.size() - 1);
  EXPECT_THROW(member->import_share("x", truncated), Error);

  // A public area that asks for more than a decrypt-only share (here: signing) is refused.
  auto signing = wrapped;
  signing.data[5 + 2 + 2 + 2 + 1] |= 0x04;  // objectAttributes bit 18: sign
  EXPECT_THROW(member->import_share("x", signing), Error);

  expect_backend_error(BackendErrc::unsupported, [&] {
    member->import_share("x", {"pkcs11-wrap-v1", wrapped.data});
  });
  EXPECT_TRUE(member->list_keys().empty());
  expect_ecdh_is(*member, member->import_share("x", wrapped).id, x);
}

}  // namespace
}  // namespace recrypt::testing
