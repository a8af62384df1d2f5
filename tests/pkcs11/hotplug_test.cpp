#include <unistd.h>

#include "backend_fixture.hpp"

#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyPurpose;

class HotplugTest : public TokenTest, public ::testing::WithParamInterface<bool> {
 protected:
  std::string module() const { return GetParam() ? SoftHsm::proxy_path() : SoftHsm::module_path(); }
};

TEST_P(HotplugTest, TokenInitialisedAfterStartBecomesUsable) {
  auto b = make_backend("late", module());
  EXPECT_FALSE(b->present());
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::not_present);
  EXPECT_EQ(pins.calls, 0);

  hsm.init_token("late");
  EXPECT_TRUE(b->present());
  auto key = b->generate_key("k", KeyPurpose::encryption);
  Point big_t = Scalar::random(Curve::p256()).public_point();
  EXPECT_EQ(b->ecdh(key.id, big_t).x.size(), 32u);
}

TEST_P(HotplugTest, RemovedTokenFailsCleanlyAndWorksWhenBack) {
  auto b = make_backend("alice", module());
  auto key = b->generate_key("k", KeyPurpose::encryption);
  Scalar t = Scalar::random(Curve::p256());
  Point big_t = t.public_point();
  Bytes want = key.public_key.times(t).x_bytes();
  auto r = b->ecdh(key.id, big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
  EXPECT_EQ(pins.calls, 1);

  hsm.unplug();
  try {
    b->ecdh(key.id, big_t);
    ADD_FAILURE() << "ecdh worked without the token";
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(e.code(), BackendErrc::not_present) << e.what();
    EXPECT_NE(std::string(e.what()).find("alice"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(b->present());
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::not_present);

  hsm.plug();
  EXPECT_TRUE(b->present());
  r = b->ecdh(key.id, big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
  EXPECT_EQ(pins.calls, 2);  // the PIN was forgotten with the token
}

INSTANTIATE_TEST_SUITE_P(Module, HotplugTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "P11KitProxy" : "SoftHsm2"; });

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

// OpenSC's module with no reader attached: the backend says "not present" and stays usable.
TEST(OpenSc, NoReaderIsNotPresent) {
  const std::string module = "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so";
  if (::access(module.c_str(), R_OK) != 0) GTEST_SKIP() << "OpenSC module not installed";
  pkcs11::Pkcs11Config c;
  c.module_path = module;
  c.token_uri = "pkcs11:token=alice-yubikey";
  int asked = 0;
  auto b = pkcs11::make_pkcs11_backend(c, [&](const backend::PinRequest&) {
    ++asked;
    return std::optional<SecureString>();
  });
  EXPECT_FALSE(b->present());
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::not_present);
  EXPECT_EQ(backend_error_code([&] { b->seal("x", Bytes(32)); }), BackendErrc::not_present);
  EXPECT_EQ(asked, 0);
}

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

// A backend looking for a missing token restarts the shared module; a backend on a present
// token in the same process reopens its session and logs in again with its cached PIN.
TEST_F(TokenTest, PresentTokenKeepsWorkingWhileAnotherIsLookedFor) {
  auto alice = make_backend("alice");
  CountingPins other_pins;
  auto missing = pkcs11::make_pkcs11_backend(config("missing", SoftHsm::module_path()), other_pins.source());
  auto key = alice->generate_key("k", KeyPurpose::encryption);
  Scalar t = Scalar::random(Curve::p256());
  Bytes want = key.public_key.times(t).x_bytes();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(missing->present());  // rescan_interval 0: restarts the module every time
    auto r = alice->ecdh(key.id, t.public_point());
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
  }
  EXPECT_EQ(pins.calls, 1);
  EXPECT_EQ(other_pins.calls, 0);
}

}  // namespace
}  // namespace recrypt::testing
