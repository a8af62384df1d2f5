#include <thread>

#include "backend_fixture.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyPurpose;

TEST_F(TokenTest, WrongPinIsAuthFailedAndNeverRetried) {
  pins.pin = "0000";
  auto b = make_backend();
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::auth_failed);
  EXPECT_EQ(pins.calls, 1);  // asked once, not tried again behind the user's back
  EXPECT_TRUE(pins.last.error.empty());
  EXPECT_NE(pins.last.description.find("alice"), std::string::npos);

  // The next operation asks again and says why.
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::auth_failed);
  EXPECT_EQ(pins.calls, 2);
  EXPECT_NE(pins.last.error.find("wrong PIN"), std::string::npos);

  pins.pin = SoftHsm::kUserPin;
  auto key = b->generate_key("k", KeyPurpose::encryption);
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 3);  // the right PIN is cached
}

TEST_F(TokenTest, WrongPinMessageHasNoPin) {
  pins.pin = "98765";
  auto b = make_backend();
  try {
    b->list_keys();
    FAIL();
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(std::string(e.what()).find("98765"), std::string::npos);
  }
}

TEST_F(TokenTest, CancelledPinEntryIsCancelled) {
  pins.pin.reset();
  auto b = make_backend();
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::cancelled);
  EXPECT_TRUE(b->present());  // presence needs no PIN
}

TEST_F(TokenTest, ZeroTimeoutAsksForEveryOperation) {
  auto c = config("alice", SoftHsm::module_path());
  c.pin_cache_timeout = std::chrono::seconds(0);
  auto b = pkcs11::make_pkcs11_backend(c, pins.source());
  auto key = b->generate_key("k", KeyPurpose::encryption);
  b->ecdh(key.id, Point::generator(Curve::p256()));
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 3);
}

TEST_F(TokenTest, CachedPinExpires) {
  auto c = config("alice", SoftHsm::module_path());
  c.pin_cache_timeout = std::chrono::seconds(1);
  auto b = pkcs11::make_pkcs11_backend(c, pins.source());
  auto key = b->generate_key("k", KeyPurpose::encryption);
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 2);
}

TEST_F(TokenTest, BlockedPinIsLocked) {
  pins.pin = "0000";
  auto b = make_backend();
  for (int i = 0; i < 10; ++i) {
    BackendErrc code = backend_error_code([&] { b->list_keys(); });
    EXPECT_EQ(pins.calls, i + 1);  // one prompt per operation, never a silent retry
    if (code == BackendErrc::locked) {
      // Once blocked, the backend says so without asking for a PIN it cannot use.
      EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::locked);
      EXPECT_EQ(pins.calls, i + 1);
      return;
    }
    ASSERT_EQ(code, BackendErrc::auth_failed);
  }
  GTEST_SKIP() << "SoftHSM2 has no PIN retry counter (upstream issue #399): ten wrong PINs did "
                  "not block it; CkError.MapsReturnValuesToBackendErrors covers CKR_PIN_LOCKED";
}

}  // namespace
}  // namespace recrypt::testing
