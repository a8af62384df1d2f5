#include "agent/pin_provider.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

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

}  // namespace
}  // namespace recrypt::agent
