#include <dlfcn.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <tuple>
#include <utility>

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

// SoftHSM2 has no PIN retry counter (upstream issue #399). These tests reach a SoftHSM2 token
// through tests/pkcs11/pin_counter_module.cpp, which adds one as a card has it: three
// consecutive wrong PINs block the PIN, and the token flags say how many tries are left.
class PinCounterTest : public TokenTest {
 protected:
  void SetUp() override {
    ::setenv("RECRYPT_PIN_COUNTER_TARGET", SoftHsm::module_path().c_str(), 1);
    ::setenv("RECRYPT_PIN_COUNTER_TRIES", "3", 1);
    ::setenv("RECRYPT_PIN_COUNTER_FLAGS", "1", 1);
    TokenTest::SetUp();
    logins_before_ = all_card_logins();  // the module stays loaded between tests of a process
  }

  std::unique_ptr<backend::Backend> make_counted(
      std::chrono::seconds pin_timeout = std::chrono::seconds(300)) {
    auto c = config("alice", RECRYPT_PIN_COUNTER_MODULE);
    c.pin_cache_timeout = pin_timeout;
    return pkcs11::make_pkcs11_backend(c, pins.source());
  }

  // How many user logins the "card" was asked for in this test, blocked ones included.
  unsigned long card_logins() const { return all_card_logins() - logins_before_; }

 private:
  static unsigned long all_card_logins() {
    void* h = ::dlopen(RECRYPT_PIN_COUNTER_MODULE, RTLD_NOW | RTLD_NOLOAD);
    if (h == nullptr) return 0;  // not loaded yet: nobody asked it anything
    auto f = reinterpret_cast<unsigned long (*)()>(::dlsym(h, "pin_counter_logins"));
    unsigned long n = f != nullptr ? f() : 0;
    ::dlclose(h);
    return n;
  }
  unsigned long logins_before_ = 0;
};

// The code and message of the BackendError `f` throws.
template <class F>
std::pair<BackendErrc, std::string> backend_error(F&& f) {
  try {
    f();
  } catch (const backend::BackendError& e) {
    return {e.code(), e.what()};
  }
  ADD_FAILURE() << "no BackendError thrown";
  return {BackendErrc::device, ""};
}

TEST_F(PinCounterTest, WrongPinReportsTriesLeft) {
  pins.pin = "0000";
  auto b = make_counted(std::chrono::seconds(0));  // every operation logs in again

  auto [code, msg] = backend_error([&] { b->list_keys(); });
  EXPECT_EQ(code, BackendErrc::auth_failed);
  EXPECT_NE(msg.find("few tries left"), std::string::npos) << msg;
  EXPECT_EQ(pins.calls, 1);
  EXPECT_FALSE(pins.last.tries_left);

  std::tie(code, msg) = backend_error([&] { b->list_keys(); });
  EXPECT_EQ(code, BackendErrc::auth_failed);
  EXPECT_NE(msg.find("one try left"), std::string::npos) << msg;
  EXPECT_EQ(pins.calls, 2);  // one prompt per operation, never a silent retry
  EXPECT_NE(pins.last.error.find("few tries left"), std::string::npos) << pins.last.error;
  EXPECT_FALSE(pins.last.tries_left);  // COUNT_LOW does not say how many
  EXPECT_EQ(card_logins(), 2u);

  // The last try: the prompt says so, and the right PIN resets the counter.
  pins.pin = SoftHsm::kUserPin;
  b->list_keys();
  EXPECT_EQ(pins.calls, 3);
  EXPECT_EQ(pins.last.tries_left, 1);
  EXPECT_NE(pins.last.error.find("one try left"), std::string::npos) << pins.last.error;

  pins.pin = "0000";
  std::tie(code, msg) = backend_error([&] { b->list_keys(); });
  EXPECT_EQ(code, BackendErrc::auth_failed);
  EXPECT_NE(msg.find("few tries left"), std::string::npos) << msg;  // two left again, not one
  EXPECT_FALSE(pins.last.tries_left);
  EXPECT_TRUE(pins.last.error.empty());
  EXPECT_EQ(pins.calls, 4);
  EXPECT_EQ(card_logins(), 4u);
}

TEST_F(PinCounterTest, BlockedPinIsLocked) {
  pins.pin = "0000";
  auto b = make_counted();
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::auth_failed);
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::auth_failed);
  // The third wrong PIN blocks it, and the backend says so at once.
  auto [code, msg] = backend_error([&] { b->list_keys(); });
  EXPECT_EQ(code, BackendErrc::locked);
  EXPECT_NE(msg.find("blocked"), std::string::npos) << msg;
  EXPECT_EQ(pins.last.tries_left, 1);
  EXPECT_EQ(pins.calls, 3);  // one prompt per operation, never a silent retry
  EXPECT_EQ(card_logins(), 3u);

  // Once blocked, no prompt for a PIN the card cannot take, and no login to hammer it with:
  // not with a wrong PIN, not with the right one, not from a new backend.
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::locked);
  pins.pin = SoftHsm::kUserPin;
  std::tie(code, msg) = backend_error([&] { b->generate_key("k", KeyPurpose::encryption); });
  EXPECT_EQ(code, BackendErrc::locked);
  EXPECT_NE(msg.find("blocked"), std::string::npos) << msg;
  auto fresh = make_counted();
  EXPECT_EQ(backend_error_code([&] { fresh->list_keys(); }), BackendErrc::locked);
  EXPECT_EQ(pins.calls, 3);
  EXPECT_EQ(card_logins(), 3u);
  EXPECT_TRUE(b->present());  // presence needs no PIN
}

// A module that keeps the counter to itself: only C_Login's CKR_PIN_LOCKED says the PIN is
// blocked. That is `locked` too, and it is what the next prompt says; without the flags the
// backend cannot tell when the PIN has been unblocked, so it does ask again.
TEST_F(PinCounterTest, LockedLoginWithoutFlagsIsLocked) {
  ::setenv("RECRYPT_PIN_COUNTER_FLAGS", "0", 1);
  pins.pin = "0000";
  auto b = make_counted();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::auth_failed);
  EXPECT_FALSE(pins.last.tries_left);

  pins.pin = SoftHsm::kUserPin;  // the right PIN, too late
  auto [code, msg] = backend_error([&] { b->list_keys(); });
  EXPECT_EQ(code, BackendErrc::locked);
  EXPECT_NE(msg.find("CKR_PIN_LOCKED"), std::string::npos) << msg;
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::locked);
  EXPECT_EQ(pins.last.error, "PIN blocked");
  EXPECT_EQ(pins.calls, 5);  // one prompt per operation, never a silent retry
  EXPECT_EQ(card_logins(), 5u);
}

// lock() ends the login and forgets the PIN at once, long before the cache timeout: the next
// operation asks for the PIN again, and a wrong one is refused rather than riding on the old
// login.
TEST_F(TokenTest, LockLogsOutAndForgetsThePin) {
  auto b = make_backend();  // PIN cached for 300 s
  auto key = b->generate_key("k", KeyPurpose::encryption);
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 1);

  b->lock();
  b->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 2);  // asked again

  b->lock();
  pins.pin = "000000";
  try {
    b->ecdh(key.id, Point::generator(Curve::p256()));
    ADD_FAILURE() << "a wrong PIN was accepted after lock()";
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(e.code(), BackendErrc::auth_failed);
    EXPECT_NE(std::string(e.what()).find("wrong PIN for token 'alice'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(pins.calls, 3);
  EXPECT_TRUE(b->present());  // presence needs no login
}

}  // namespace
}  // namespace recrypt::testing
