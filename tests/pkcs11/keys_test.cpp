#include "backend_fixture.hpp"

namespace recrypt::testing {
namespace {

using backend::KeyPurpose;

TEST_F(TokenTest, GeneratedKeysAreListedWithTheirPoints) {
  auto b = make_backend();
  auto enc = b->generate_key("dev-enc", KeyPurpose::encryption);
  auto sig = b->generate_key("dev-sig", KeyPurpose::signing);
  EXPECT_EQ(enc.id.rfind("pkcs11:", 0), 0u);
  EXPECT_NE(enc.id.find("token=alice"), std::string::npos);
  EXPECT_NE(enc.id.find("object=dev-enc"), std::string::npos);
  EXPECT_NE(enc.id.find("type=private"), std::string::npos);
  EXPECT_NE(enc.id.find("id=%"), std::string::npos);
  EXPECT_NE(enc.id, sig.id);

  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 2u);
  for (const auto& k : keys) {
    const auto& want = k.label == "dev-enc" ? enc : sig;
    EXPECT_EQ(k.id, want.id);
    EXPECT_EQ(k.purpose, want.purpose);
    EXPECT_TRUE(k.public_key == want.public_key);
    EXPECT_FALSE(k.resident_share);
  }
  EXPECT_EQ(pins.calls, 1);  // one login, then the cached PIN and session
}

TEST_F(TokenTest, KeysSurviveANewBackend) {
  std::string id;
  {
    auto b = make_backend();
    id = b->generate_key("dev-enc", KeyPurpose::encryption).id;
  }
  auto b = make_backend();
  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].id, id);
}

TEST_F(TokenTest, UnknownKeyIdIsNoSuchKey) {
  auto b = make_backend();
  Point g = Point::generator(Curve::p256());
  EXPECT_EQ(backend_error_code([&] { b->ecdh("pkcs11:token=alice;object=nope;type=private", g); }),
            backend::BackendErrc::no_such_key);
  EXPECT_EQ(backend_error_code([&] { b->ecdh("not a uri", g); }),
            backend::BackendErrc::no_such_key);
  EXPECT_EQ(backend_error_code([&] { b->ecdh("pkcs11:token=bob;object=x", g); }),
            backend::BackendErrc::no_such_key);
}

TEST_F(TokenTest, CapabilitiesSayXOnly) {
  auto b = make_backend();
  auto c = b->capabilities();
  EXPECT_FALSE(c.full_point_ecdh);
  EXPECT_TRUE(c.resident_shares);
  EXPECT_TRUE(c.sealing);
  EXPECT_TRUE(c.needs_pin);
  EXPECT_EQ(b->name(), "pkcs11");
  EXPECT_TRUE(b->present());
}

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

TEST(Pkcs11Config, MissingModuleIsNotPresent) {
  pkcs11::Pkcs11Config c;
  c.module_path = "/nonexistent/libnothing.so";
  c.token_uri = "pkcs11:token=alice";
  try {
    pkcs11::make_pkcs11_backend(c, {});
    FAIL();
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(e.code(), backend::BackendErrc::not_present);
  }
}

TEST(Pkcs11Config, MalformedTokenUriIsRefused) {
  SoftHsm hsm;
  pkcs11::Pkcs11Config c;
  c.module_path = SoftHsm::module_path();
  c.token_uri = "http://alice";
  EXPECT_THROW(pkcs11::make_pkcs11_backend(c, {}), Error);
  c.token_uri = "pkcs11:token=alice;frobnicate=1";
  EXPECT_THROW(pkcs11::make_pkcs11_backend(c, {}), Error);
}

TEST(Pkcs11Config, DefaultModuleIsTheP11KitProxy) {
  EXPECT_NE(pkcs11::default_module_path().find("p11-kit-proxy"), std::string::npos);
}

}  // namespace
}  // namespace recrypt::testing
