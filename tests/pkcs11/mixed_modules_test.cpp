// The same SoftHSM2 library reached directly and through p11-kit-proxy in one process: when
// the proxy backend goes, p11-kit finalises SoftHSM2 under the direct backend, which must
// recover (log in again with its cached PIN) rather than report a missing key.
#include "backend_fixture.hpp"

namespace recrypt::testing {
namespace {

TEST_F(TokenTest, DirectBackendSurvivesTheProxyFinalisingTheModule) {
  auto direct = make_backend("alice", SoftHsm::module_path());
  auto key = direct->generate_key("k", backend::KeyPurpose::encryption);
  Point g = Point::generator(Curve::p256());
  Bytes want = key.public_key.x_bytes();
  {
    CountingPins proxy_pins;
    auto proxy =
        pkcs11::make_pkcs11_backend(config("alice", SoftHsm::proxy_path()), proxy_pins.source());
    EXPECT_EQ(proxy->list_keys().size(), 1u);
    auto r = direct->ecdh(key.id, g);
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
  }
  for (int i = 0; i < 2; ++i) {
    auto r = direct->ecdh(key.id, g);
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
  }
  EXPECT_EQ(pins.calls, 1);
}

}  // namespace
}  // namespace recrypt::testing
