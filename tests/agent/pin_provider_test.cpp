#include "agent/pin_provider.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string_view>
#include <vector>

namespace recrypt::agent {
namespace {

namespace fs = std::filesystem;

// A passphrase file the test can change between prompts, to see which answers come from the
// provider's cache.
class PinProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "recrypt-pins-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    write("first");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& pin) { std::ofstream(dir_ / "pin") << pin << "\n"; }
  PinPolicy policy() const {
    PinPolicy p;
    p.passphrase_file = dir_ / "pin";
    return p;
  }
  static std::string answer(backend::PinSource& source, const backend::PinRequest& req) {
    auto pin = source(req);
    return pin ? std::string(pin->begin(), pin->end()) : "<cancelled>";
  }

  fs::path dir_;
};

backend::PinRequest token_request() {
  backend::PinRequest req;
  req.backend = "pkcs11";
  req.description = "PIN for token 'alice'";
  return req;
}

TEST_F(PinProviderTest, CachedPinAnswersUntilTheTokenIsRemoved) {
  PinProvider pins(policy());
  backend::PinSource source = pins.source();
  backend::PinRequest req = token_request();
  EXPECT_EQ(answer(source, req), "first");
  write("second");
  EXPECT_EQ(answer(source, req), "first");  // from the cache

  req.after_removal = true;  // the token was pulled out and is back: ask again
  EXPECT_EQ(answer(source, req), "second");
  req.after_removal = false;
  write("third");
  EXPECT_EQ(answer(source, req), "second");  // the new answer is cached again
}

namespace forget_all_wipes {

// The regions the wiping allocator gives back while `recording`, as it left them.
struct Region {
  std::size_t size;
  bool all_zero;
};
std::vector<Region> regions;
bool recording = false;
void record(const void* p, std::size_t n) {
  if (!recording) return;
  const auto* b = static_cast<const unsigned char*>(p);
  regions.push_back({n, std::all_of(b, b + n, [](unsigned char c) { return c == 0; })});
}

}  // namespace forget_all_wipes

// A std::string keeps a 6-character PIN inside the cache's own entry, where freeing the entry
// leaves it; a SecureString keeps it in a heap buffer the allocator wipes before freeing.
TEST_F(PinProviderTest, ForgetAllWipesASixCharacterPin) {
  using namespace forget_all_wipes;
  write("493817");
  PinProvider pins(policy());
  backend::PinSource source = pins.source();
  EXPECT_EQ(answer(source, token_request()), "493817");
  regions.clear();
  set_freed_region_observer(&record);
  recording = true;
  pins.forget_all();
  recording = false;
  set_freed_region_observer(nullptr);
  ASSERT_FALSE(regions.empty()) << "the cached PIN was not released through the wiping allocator";
  for (const Region& r : regions) {
    EXPECT_GE(r.size, std::string_view("493817").size());
    EXPECT_TRUE(r.all_zero);
  }
  write("second");
  EXPECT_EQ(answer(source, token_request()), "second");  // and it is really forgotten
}

}  // namespace
}  // namespace recrypt::agent
