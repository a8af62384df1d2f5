// The soft key store on disk: new stores use the configured scrypt cost (age's 2^18 by
// default), cheaper stores (older versions, lower costs) are rewritten with it on the next
// unlock without changing the store key, and lock() makes the next use ask again.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "backend/soft_backend.hpp"
#include "base/atomic_file.hpp"
#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "protocol/primitives.hpp"

namespace recrypt::backend {
namespace {

namespace fs = std::filesystem;
constexpr std::uint64_t kTestN = 1u << 12;  // cheap, for every test but the default's

struct Passphrases {
  std::string pass = "correct horse battery";
  int calls = 0;
  PinRequest last;
  PinSource source() {
    return [this](const PinRequest& r) -> std::optional<SecureString> {
      ++calls;
      last = r;
      return SecureString(pass);
    };
  }
};

class SoftStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "recrypt-soft-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::unique_ptr<SoftBackend> make(std::uint64_t n = kTestN) {
    SoftConfig c;
    c.directory = dir_;
    c.scrypt_n = n;
    return std::make_unique<SoftBackend>(c, pins.source());
  }
  Json store_file() const {
    Bytes raw = read_file(dir_ / "store.json", 64 * 1024);
    return Json::parse(as_chars(raw));
  }
  static Json seal(ByteView key, std::string_view plain, std::string_view aad) {
    Bytes nonce(kGcmNonceSize);
    EXPECT_EQ(RAND_bytes(nonce.data(), static_cast<int>(nonce.size())), 1);
    Bytes ct(plain.size() + kGcmTagSize);
    Aes256Gcm gcm(key);
    auto tag = gcm.seal(nonce, as_bytes(aad), as_bytes(plain), std::span(ct).first(plain.size()));
    std::copy(tag.begin(), tag.end(), ct.begin() + static_cast<std::ptrdiff_t>(plain.size()));
    return Json{{"nonce", base64url::encode(nonce)}, {"ciphertext", base64url::encode(ct)}};
  }
  // A store as version 1 wrote it (the scrypt output is the store key, N = 2^10), and a blob
  // sealed by it.
  Bytes write_version1_store(const std::string& secret) {
    Bytes salt(16, 7);
    SecureBytes key(kAes256KeySize);
    EXPECT_EQ(EVP_PBE_scrypt(pins.pass.data(), pins.pass.size(), salt.data(), salt.size(), 1024, 8,
                             1, 64ull << 20, key.data(), key.size()),
              1);
    Json store{
        {"version", 1},
        {"kdf",
         {{"alg", "scrypt"}, {"n", 1024}, {"r", 8}, {"p", 1}, {"salt", base64url::encode(salt)}}},
        {"check", seal(key, "recrypt soft key store", "check")}};
    fs::create_directories(dir_ / "keys");
    std::ofstream(dir_ / "store.json") << store.dump(2);
    Json blob{{"version", 1}, {"label", "group"}, {"sealed", seal(key, secret, "seal:group")}};
    std::string text = blob.dump();
    return Bytes(text.begin(), text.end());
  }

  fs::path dir_;
  Passphrases pins;
};

TEST_F(SoftStoreTest, NewStoreUsesAgesScryptCostByDefault) {
  auto soft = make(SoftConfig{}.scrypt_n);
  const KeyInfo key = soft->generate_key("laptop", KeyPurpose::encryption);
  const Json kdf = store_file().at("kdf");
  EXPECT_EQ(kdf.at("n").get<std::uint64_t>(), 1u << 18);
  EXPECT_EQ(kdf.at("r").get<std::uint64_t>(), 8u);
  EXPECT_EQ(kdf.at("p").get<std::uint64_t>(), 1u);
  EXPECT_EQ(store_file().at("version").get<int>(), 2);
  soft->lock();
  soft->ecdh(key.id, Point::generator(Curve::p256()));  // unlocks again at the full cost
  EXPECT_EQ(pins.calls, 2);
}

TEST_F(SoftStoreTest, VersionOneStoreIsRewrittenWithTheConfiguredCost) {
  const Bytes blob = write_version1_store("group master key");
  auto soft = make();
  EXPECT_EQ(as_chars(soft->unseal(blob)), "group master key");
  const Json store = store_file();
  EXPECT_EQ(store.at("version").get<int>(), 2);
  EXPECT_EQ(store.at("kdf").at("n").get<std::uint64_t>(), kTestN);
  EXPECT_FALSE(store.contains("check"));
  EXPECT_EQ(fs::status(dir_ / "store.json").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);

  // The store key did not change: what it sealed before still opens, from a fresh start.
  auto again = make();
  EXPECT_EQ(as_chars(again->unseal(blob)), "group master key");

  pins.pass = "wrong";
  auto wrong = make();
  try {
    wrong->unseal(blob);
    ADD_FAILURE() << "a wrong passphrase opened the upgraded store";
  } catch (const BackendError& e) {
    EXPECT_EQ(e.code(), BackendErrc::auth_failed);
    EXPECT_STREQ(e.what(), "wrong passphrase for the soft key store");
  }
  EXPECT_EQ(pins.last.error, "wrong passphrase");
}

TEST_F(SoftStoreTest, CheaperStoreIsRaisedAndKeepsItsKeys) {
  auto cheap = make(1u << 10);
  const KeyInfo key = cheap->generate_key("laptop", KeyPurpose::encryption);
  const Bytes blob = cheap->seal("group", as_bytes("master"));
  cheap.reset();
  EXPECT_EQ(store_file().at("kdf").at("n").get<std::uint64_t>(), 1u << 10);

  auto raised = make(kTestN);
  const Point peer = Scalar::random(Curve::p256()).public_point();
  const EcdhResult z = raised->ecdh(key.id, peer);
  EXPECT_EQ(store_file().at("kdf").at("n").get<std::uint64_t>(), kTestN);
  EXPECT_EQ(as_chars(raised->unseal(blob)), "master");
  EXPECT_EQ(z.x.size(), 32u);

  // Already at the configured cost: unlocking does not rewrite it.
  const auto written = fs::last_write_time(dir_ / "store.json");
  raised->lock();
  raised->ecdh(key.id, peer);
  EXPECT_EQ(fs::last_write_time(dir_ / "store.json"), written);
}

TEST_F(SoftStoreTest, LockMakesTheNextUseAskForThePassphrase) {
  auto soft = make();
  const KeyInfo key = soft->generate_key("laptop", KeyPurpose::encryption);
  soft->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 1);
  soft->lock();
  soft->ecdh(key.id, Point::generator(Curve::p256()));
  EXPECT_EQ(pins.calls, 2);
}

}  // namespace
}  // namespace recrypt::backend
