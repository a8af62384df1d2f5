#include "backend_fixture.hpp"

#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

using backend::KeyPurpose;

TEST_F(TokenTest, WrappedShareImportsIntoTheTokenAndDerivesShareTimesT) {
  auto b = make_backend();
  auto device = b->generate_key("dev-enc", KeyPurpose::encryption);
  Scalar share = Scalar::random(Curve::p256());
  backend::WrappedShare wrapped = pkcs11::wrap_share_for_pkcs11(device.public_key, share);
  EXPECT_EQ(wrapped.format, "pkcs11-ecdh-aeskwp-v1");

  auto key = b->import_share("group-share", wrapped);
  EXPECT_TRUE(key.resident_share);
  EXPECT_EQ(key.purpose, KeyPurpose::encryption);
  EXPECT_TRUE(key.public_key == share.public_point());

  Scalar t = Scalar::random(Curve::p256());
  Point big_t = t.public_point();
  auto r = b->ecdh(key.id, big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), big_t.times(share).x_bytes());

  bool listed = false;
  for (const auto& k : b->list_keys())
    if (k.id == key.id) {
      listed = true;
      EXPECT_TRUE(k.resident_share);
      EXPECT_TRUE(k.public_key == share.public_point());
    }
  EXPECT_TRUE(listed);
}

TEST_F(TokenTest, ShareWrappedForAnotherKeyIsRefused) {
  auto b = make_backend();
  b->generate_key("dev-enc", KeyPurpose::encryption);
  Scalar other = Scalar::random(Curve::p256());
  Scalar share = Scalar::random(Curve::p256());
  auto wrapped = pkcs11::wrap_share_for_pkcs11(other.public_point(), share);
  EXPECT_EQ(backend_error_code([&] { b->import_share("s", wrapped); }),
            backend::BackendErrc::no_such_key);
}

TEST_F(TokenTest, DamagedShareIsRefusedAndLeavesNothingBehind) {
  auto b = make_backend();
  auto device = b->generate_key("dev-enc", KeyPurpose::encryption);
  Scalar share = Scalar::random(Curve::p256());
  auto wrapped = pkcs11::wrap_share_for_pkcs11(device.public_key, share);
  wrapped.data.back() ^= 1;
  EXPECT_THROW(b->import_share("s", wrapped), Error);
  EXPECT_EQ(b->list_keys().size(), 1u);
  // The backend stays usable.
  auto good = pkcs11::wrap_share_for_pkcs11(device.public_key, share);
  EXPECT_TRUE(b->import_share("s", good).resident_share);
}

TEST_F(TokenTest, RawScalarFallbackImports) {
  auto b = make_backend();
  Scalar share = Scalar::random(Curve::p256());
  auto key = b->import_share("raw-share", pkcs11::raw_share_for_pkcs11(share));
  EXPECT_TRUE(key.resident_share);
  Point big_t = Scalar::random(Curve::p256()).public_point();
  auto r = b->ecdh(key.id, big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), big_t.times(share).x_bytes());
}

TEST_F(TokenTest, UnknownShareFormatIsUnsupported) {
  auto b = make_backend();
  EXPECT_EQ(backend_error_code([&] {
              b->import_share("s", {"tpm-duplicate-v1", SecureBytes(10)});
            }),
            backend::BackendErrc::unsupported);
}

}  // namespace
}  // namespace recrypt::testing
