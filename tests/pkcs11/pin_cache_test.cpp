// The PKCS#11 PIN cache leaves no PIN behind: the storage it used is wiped before it is
// released, whether the PIN is forgotten or expires.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "pkcs11/pin_cache.hpp"

namespace recrypt::pkcs11 {
namespace {

// Set by the test: the storage whose release it waits for, and what it held by then.
const void* watched = nullptr;
bool watched_released = false;
bool watched_zero = false;
void on_release(const void* p, std::size_t n) {
  if (p != watched) return;
  const auto* b = static_cast<const unsigned char*>(p);
  watched_released = true;
  watched_zero = std::all_of(b, b + n, [](unsigned char c) { return c == 0; });
}

class PinCacheTest : public ::testing::Test {
 protected:
  void SetUp() override { set_freed_region_observer(&on_release); }
  void TearDown() override {
    set_freed_region_observer(nullptr);
    watched = nullptr;
  }
  static void watch(const SecureString& pin) {
    watched = pin.data();
    watched_released = watched_zero = false;
  }
};

TEST_F(PinCacheTest, ForgettingWipesTheStorageOfASixCharacterPin) {
  PinCache cache(std::chrono::seconds(300));
  cache.put(SecureString("493817"));
  ASSERT_NE(cache.get(), nullptr);
  watch(*cache.get());
  cache.evict();
  EXPECT_TRUE(watched_released)
      << "the PIN's storage was not released through the wiping allocator";
  EXPECT_TRUE(watched_zero);
  EXPECT_EQ(cache.get(), nullptr);
  EXPECT_FALSE(cache.lease_valid());
}

TEST_F(PinCacheTest, ExpiryWipesTheStorage) {
  PinCache cache(std::chrono::seconds(1));
  cache.put(SecureString("493817"));
  watch(*cache.get());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(cache.get(), nullptr);
  EXPECT_TRUE(watched_released);
  EXPECT_TRUE(watched_zero);
}

TEST_F(PinCacheTest, ZeroTimeoutKeepsNothing) {
  PinCache cache(std::chrono::seconds(0));
  cache.put(SecureString("493817"));
  EXPECT_EQ(cache.get(), nullptr);
}

}  // namespace
}  // namespace recrypt::pkcs11
