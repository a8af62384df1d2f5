#include <atomic>
#include <thread>

#include "backend_fixture.hpp"

#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

using backend::KeyPurpose;

TEST_F(TokenTest, EcdhReturnsTheXCoordinateOfTheSoftwareResult) {
  auto b = make_backend();
  auto key = b->generate_key("dev-enc", KeyPurpose::encryption);
  for (int i = 0; i < 5; ++i) {
    Scalar t = Scalar::random(Curve::p256());
    Point big_t = t.public_point();
    auto r = b->ecdh(key.id, big_t);
    // x·T computed in software from the other side: t·X.
    Bytes want = key.public_key.times(t).x_bytes();
    ASSERT_EQ(r.x.size(), 32u);
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), want);
    EXPECT_FALSE(r.y.has_value());
  }
}

TEST_F(TokenTest, SignatureVerifiesWithOpenSSL) {
  auto b = make_backend();
  auto key = b->generate_key("dev-sig", KeyPurpose::signing);
  Bytes msg = to_bytes(as_bytes("request body"));
  Bytes sig = b->sign_digest(key.id, sha256(msg));
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(verify_es256(key.public_key, msg, sig));
  Bytes other = to_bytes(as_bytes("another body"));
  EXPECT_FALSE(verify_es256(key.public_key, other, sig));
}

TEST_F(TokenTest, KeysKeepToTheirPurpose) {
  auto b = make_backend();
  auto enc = b->generate_key("dev-enc", KeyPurpose::encryption);
  auto sig = b->generate_key("dev-sig", KeyPurpose::signing);
  Bytes digest = sha256(as_bytes("x"));
  EXPECT_THROW(b->sign_digest(enc.id, digest), backend::BackendError);
  EXPECT_THROW(b->ecdh(sig.id, Point::generator(Curve::p256())), backend::BackendError);
  // A refused operation does not break the next one.
  EXPECT_TRUE(verify_es256(sig.public_key, as_bytes("x"), b->sign_digest(sig.id, digest)));
}

TEST_F(TokenTest, SignRejectsAWrongSizeDigest) {
  auto b = make_backend();
  auto key = b->generate_key("dev-sig", KeyPurpose::signing);
  Bytes digest(31, 0);
  EXPECT_THROW(b->sign_digest(key.id, digest), Error);
}

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

TEST_F(TokenTest, ConcurrentCallersShareOneBackend) {
  auto b = make_backend();
  auto key = b->generate_key("dev-enc", backend::KeyPurpose::encryption);
  Scalar t = Scalar::random(Curve::p256());
  Point big_t = t.public_point();
  Bytes want = key.public_key.times(t).x_bytes();
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto r = b->ecdh(key.id, big_t);
        if (Bytes(r.x.begin(), r.x.end()) == want) ++good;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(good.load(), 40);
  EXPECT_EQ(pins.calls, 1);
}

}  // namespace
}  // namespace recrypt::testing
