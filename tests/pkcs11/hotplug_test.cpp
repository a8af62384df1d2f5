#include <unistd.h>

#include <set>

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

// What the agent does (agent.status, then document.open), on the agent's own settings
// (default rescan_interval): every step starts with present(), then list_keys(), then the
// operations. The token's files go away and come back while the backend keeps running.
class AgentSequenceTest : public TokenTest {
 protected:
  struct Device {
    std::string enc, sig, share;
  };

  // Waits for present() to say `want`: a missing token is looked for again at most once per
  // rescan_interval.
  bool present_within(backend::Backend& b, bool want) {
    for (int i = 0; i < 40; ++i) {
      if (b.present() == want) return true;
      ::usleep(100 * 1000);
    }
    return false;
  }

  // document.open: the device's keys must be listed before they are used.
  Bytes open_with(backend::Backend& b, const Device& d, const Point& big_t) {
    std::set<std::string> ids;
    for (const auto& k : b.list_keys()) ids.insert(k.id);
    if (!ids.count(d.enc) || !ids.count(d.sig) || !ids.count(d.share))
      throw backend::BackendError(BackendErrc::no_such_key, "the device's keys are not listed");
    b.sign_digest(d.sig, sha256(as_bytes(std::string_view("recrypt request"))));
    auto r = b.ecdh(d.share, big_t);
    return Bytes(r.x.begin(), r.x.end());
  }
};

TEST_F(AgentSequenceTest, RemovedTokenIsNotPresentAndWorksWhenBackWithoutRestart) {
  pkcs11::Pkcs11Config c = config("alice", SoftHsm::module_path());
  c.rescan_interval = pkcs11::Pkcs11Config{}.rescan_interval;  // the agent's
  auto b = pkcs11::make_pkcs11_backend(c, pins.source());
  Device d;
  d.enc = b->generate_key("enc", KeyPurpose::encryption).id;
  d.sig = b->generate_key("sig", KeyPurpose::signing).id;
  Scalar share = Scalar::random(Curve::p256());
  for (const auto& k : b->list_keys())
    if (k.id == d.enc)
      d.share = b->import_share("share", pkcs11::wrap_share_for_pkcs11(k.public_key, share)).id;
  ASSERT_FALSE(d.share.empty());
  Scalar t = Scalar::random(Curve::p256());
  Bytes want = t.public_point().times(share).x_bytes();
  ASSERT_TRUE(b->present());
  EXPECT_EQ(open_with(*b, d, t.public_point()), want);
  EXPECT_EQ(pins.calls, 1);

  hsm.unplug();
  EXPECT_TRUE(present_within(*b, false)) << "present() still true with the token removed";
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::not_present);
  EXPECT_EQ(backend_error_code([&] { open_with(*b, d, t.public_point()); }),
            BackendErrc::not_present);

  hsm.plug();
  ASSERT_TRUE(present_within(*b, true)) << "the token is back but present() stays false";
  EXPECT_EQ(open_with(*b, d, t.public_point()), want);
  EXPECT_EQ(pins.calls, 2);  // the PIN went with the token
}

// The same without the presence probe: an operation is the first to meet the removed token,
// right after the probe said it was there.
TEST_F(AgentSequenceTest, ListingTheRemovedTokenFailsAndTheTokenWorksWhenBack) {
  pkcs11::Pkcs11Config c = config("alice", SoftHsm::module_path());
  c.rescan_interval = pkcs11::Pkcs11Config{}.rescan_interval;
  auto b = pkcs11::make_pkcs11_backend(c, pins.source());
  auto key = b->generate_key("enc", KeyPurpose::encryption);
  Scalar t = Scalar::random(Curve::p256());
  Bytes want = key.public_key.times(t).x_bytes();
  ASSERT_TRUE(b->present());

  hsm.unplug();
  EXPECT_EQ(backend_error_code([&] { b->list_keys(); }), BackendErrc::not_present);
  hsm.plug();
  ASSERT_TRUE(present_within(*b, true));
  ASSERT_EQ(b->list_keys().size(), 1u);
  auto r = b->ecdh(key.id, t.public_point());
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
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
  auto missing =
      pkcs11::make_pkcs11_backend(config("missing", SoftHsm::module_path()), other_pins.source());
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
