// SecureString keeps no secret where no wipe reaches it: not inside the object (the small-
// string buffer of std::basic_string), not in a heap buffer it frees, not after a move or copy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <new>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/secret_file.hpp"

namespace recrypt {
namespace {

constexpr std::string_view kPin = "493817";
const std::string kLong(100, 'q');

bool contains(const std::byte* p, std::size_t n, std::string_view needle) {
  const char* c = reinterpret_cast<const char*>(p);
  return std::search(c, c + n, needle.begin(), needle.end()) != c + n;
}

// Storage for one SecureString whose bytes the test may read before construction and after
// destruction: it outlives the object.
struct ObjectBytes {
  alignas(SecureString) std::byte raw[sizeof(SecureString)] = {};
  SecureString& get() { return *std::launder(reinterpret_cast<SecureString*>(raw)); }
  bool holds(std::string_view s) const { return contains(raw, sizeof raw, s); }
};

// Every region given back through the wiping allocator, as the allocator left it (wiped).
struct Released {
  const void* p;
  std::size_t n;
  bool all_zero;
};
std::vector<Released>* released = nullptr;
void record(const void* p, std::size_t n) {
  if (!released) return;
  const auto* b = static_cast<const unsigned char*>(p);
  released->push_back({p, n, std::all_of(b, b + n, [](unsigned char c) { return c == 0; })});
}

class SecureStringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    released = &seen_;
    set_freed_region_observer(&record);
  }
  void TearDown() override {
    set_freed_region_observer(nullptr);
    released = nullptr;
  }
  // The region starting at `p` was released, and was all zero by then.
  ::testing::AssertionResult released_wiped(const void* p) const {
    for (const auto& r : seen_)
      if (r.p == p)
        return r.all_zero ? ::testing::AssertionSuccess()
                          : ::testing::AssertionFailure() << "not wiped";
    return ::testing::AssertionFailure() << "never released through the wiping allocator";
  }
  std::vector<Released> seen_;
};

TEST_F(SecureStringTest, ShortStringNeverLivesInsideTheObject) {
  ObjectBytes o;
  new (o.raw) SecureString(kPin);
  EXPECT_EQ(o.get(), kPin);
  EXPECT_FALSE(o.holds(kPin));  // std::string keeps 6 characters here
  const void* storage = o.get().data();
  o.get().~SecureString();
  EXPECT_FALSE(o.holds(kPin));
  EXPECT_TRUE(released_wiped(storage));
}

TEST_F(SecureStringTest, LongStringIsWipedWhenReleased) {
  const void* storage = nullptr;
  {
    SecureString s(kLong);
    storage = s.data();
  }
  EXPECT_TRUE(released_wiped(storage));
}

TEST_F(SecureStringTest, EveryConstructorStartsOnTheHeap) {
  const SecureString from_chars("1234"), from_n(4, '7'), from_range(kPin.begin(), kPin.end());
  const SecureString from_view(kPin), from_copy(from_view), from_substr = from_view.substr(1, 3);
  for (const SecureString* s :
       {&from_chars, &from_n, &from_range, &from_view, &from_copy, &from_substr})
    EXPECT_GE(s->capacity(), SecureString::kHeapFloor);
  EXPECT_EQ(from_substr, "938");
}

TEST_F(SecureStringTest, MoveTakesTheBufferAndLeavesNothingBehind) {
  ObjectBytes from, to;
  new (from.raw) SecureString(kPin);
  const void* storage = from.get().data();
  new (to.raw) SecureString(std::move(from.get()));
  EXPECT_EQ(to.get(), kPin);
  EXPECT_EQ(to.get().data(), storage);  // the same heap buffer, not a copy
  EXPECT_TRUE(from.get().empty());
  EXPECT_FALSE(from.holds(kPin));
  EXPECT_FALSE(to.holds(kPin));

  SecureString other("another secret");
  const void* other_storage = other.data();
  other = std::move(to.get());
  EXPECT_EQ(other, kPin);
  EXPECT_TRUE(to.get().empty());
  from.get().~SecureString();
  to.get().~SecureString();  // holds other's old buffer, wiped before release
  EXPECT_TRUE(released_wiped(other_storage));
  EXPECT_FALSE(from.holds(kPin));
  EXPECT_FALSE(to.holds(kPin));
}

TEST_F(SecureStringTest, CopiesAreSecureStringsToo) {
  ObjectBytes copy;
  const SecureString original(kPin);
  new (copy.raw) SecureString(original);
  EXPECT_EQ(copy.get(), kPin);
  EXPECT_NE(copy.get().data(), original.data());
  EXPECT_FALSE(copy.holds(kPin));
  SecureString assigned;
  assigned = original;
  EXPECT_EQ(assigned, kPin);
  EXPECT_GE(assigned.capacity(), SecureString::kHeapFloor);
  copy.get().~SecureString();
  EXPECT_FALSE(copy.holds(kPin));
}

// A base-class operation can still move the characters into the object (libstdc++'s
// shrink_to_fit does); the destructor wipes them there.
TEST_F(SecureStringTest, DestructorWipesTheInObjectBuffer) {
  ObjectBytes o;
  new (o.raw) SecureString(kPin);
  static_cast<SecureStringBase&>(o.get()).shrink_to_fit();
  if (!o.holds(kPin)) GTEST_SKIP() << "this standard library keeps the buffer on the heap";
  o.get().~SecureString();
  EXPECT_FALSE(o.holds(kPin));
}

TEST_F(SecureStringTest, WipeClearsInPlace) {
  SecureString s(kPin);
  const char* p = s.data();
  s.wipe();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.data(), p);
  EXPECT_TRUE(std::all_of(p, p + kPin.size(), [](char c) { return c == 0; }));
}

TEST(SecretFileTest, ReadsTheFirstLine) {
  auto path =
      std::filesystem::temp_directory_path() / ("recrypt-secret-" + std::to_string(::getpid()));
  std::ofstream(path) << "493817\r\nsecond line\n";
  EXPECT_EQ(read_secret_file(path), kPin);
  std::ofstream(path, std::ios::trunc) << std::string(kMaxSecretFile + 1, 'x');
  try {
    read_secret_file(path);
    ADD_FAILURE() << "a file larger than a passphrase was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::too_large);
    EXPECT_NE(std::string(e.what()).find("larger than 4096 bytes"), std::string::npos);
  }
  std::filesystem::remove(path);
  try {
    read_secret_file(path);
    ADD_FAILURE() << "a missing file was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::io);
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos);
  }
}

}  // namespace
}  // namespace recrypt
