// The replay cache on its own: a key is refused while it lives, forgotten once expired
// (oldest first, never before its own expiry), and its size follows the window, not the
// traffic ever seen.
#include "service/nonce_cache.hpp"

#include <gtest/gtest.h>

#include <string>

namespace recrypt::test {
namespace {

using service::NonceCache;

constexpr std::int64_t kStart = 1'800'000'000;

TEST(NonceCache, RefusesAKeyUntilItExpires) {
  NonceCache cache;
  EXPECT_TRUE(cache.claim("kid:n1", kStart + 10, kStart));
  EXPECT_FALSE(cache.claim("kid:n1", kStart + 10, kStart));
  EXPECT_FALSE(cache.claim("kid:n1", kStart + 10, kStart + 10));  // its last second
  EXPECT_TRUE(cache.claim("other:n1", kStart + 10, kStart));      // another signer's
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.claim("kid:n1", kStart + 30, kStart + 11));
  EXPECT_EQ(cache.size(), 1u);
}

TEST(NonceCache, NeverForgetsAKeyBeforeItsExpiry) {
  NonceCache cache;
  // A later expiry claimed first holds back an earlier one behind it.
  ASSERT_TRUE(cache.claim("late", kStart + 100, kStart));
  ASSERT_TRUE(cache.claim("early", kStart + 50, kStart));
  ASSERT_TRUE(cache.claim("middle", kStart + 80, kStart));
  EXPECT_FALSE(cache.claim("early", kStart + 50, kStart + 49));
  EXPECT_FALSE(cache.claim("middle", kStart + 80, kStart + 60));
  EXPECT_FALSE(cache.claim("late", kStart + 100, kStart + 100));
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_TRUE(cache.claim("fresh", kStart + 300, kStart + 101));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.claim("early", kStart + 400, kStart + 101));
}

TEST(NonceCache, HoldsOneWindowOfTraffic) {
  NonceCache cache;
  constexpr std::int64_t kWindow = 300;
  constexpr int kPerSecond = 20;
  for (std::int64_t t = 0; t < 10 * kWindow; ++t)
    for (int i = 0; i < kPerSecond; ++i)
      ASSERT_TRUE(cache.claim("kid:" + std::to_string(t) + "." + std::to_string(i),
                              kStart + t + kWindow, kStart + t));
  EXPECT_EQ(cache.size(), static_cast<std::size_t>((kWindow + 1) * kPerSecond));
}

}  // namespace
}  // namespace recrypt::test
