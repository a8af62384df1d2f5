// recrypt's JOSE against the `jose` npm package, both ways: what we encrypt to a group key A
// the administrator opens with a stock library and the private JWK of a; what the stock
// library encrypts to A we open; what we sign it verifies and the other way round.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "protocol/recryption.hpp"

namespace recrypt {
namespace {

namespace fs = std::filesystem;

const fs::path kDir = RECRYPT_INTEROP_DIR;

class JoseInterop : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string node = RECRYPT_NODE;
    if (node.empty() || node.find("NOTFOUND") != std::string::npos)
      GTEST_SKIP() << "node was not found when configuring; the interop test needs Node.js";
    if (!fs::exists(kDir / "node_modules" / "jose" / "package.json"))
      GTEST_SKIP() << "jose is not installed: run `npm ci --prefix " << kDir.string() << "`";
    char pattern[] = "/tmp/recrypt-interop-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    work_ = pattern;
  }
  void TearDown() override {
    if (!work_.empty()) fs::remove_all(work_);
  }

  // Runs the node side; returns its exit status. Its stderr goes to the test log.
  int node(const std::vector<std::string>& args) {
    std::string command =
        "'" + std::string(RECRYPT_NODE) + "' '" + (kDir / "jose_interop.mjs").string() + "'";
    for (const std::string& a : args) command += " '" + a + "'";
    int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  fs::path write(const std::string& name, std::string_view content) {
    fs::path p = work_ / name;
    std::ofstream(p, std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }
  std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string private_jwk(const Scalar& k) {
    SecretJson j = jwk::from_private(k);
    auto text = j.dump();
    return std::string(text.begin(), text.end());
  }

  fs::path work_;
};

TEST_F(JoseInterop, StockLibraryOpensOurEnvelopeWithGroupSecret) {
  auto group = recryption::GroupKey::generate(Curve::p256());
  std::string plaintext = "the quarterly figures \xe2\x9c\x93 " + std::string(3000, 'q');
  jwe::Locator locator{"accounting@example.com", "MB2G-ACCT-GRP1", "https://recrypt.example.com/"};
  jwe::Envelope e = jwe::encrypt(
      as_bytes(plaintext), {{jwe::RecipientKey{group.public_key, {}, locator}}}, "text/plain");
  fs::path jwe_path = write("ours.jwe", e.serialize());
  fs::path key_path = write("a.jwk", private_jwk(group.secret));
  ASSERT_EQ(node({"decrypt", jwe_path.string(), key_path.string(), (work_ / "out").string()}), 0);
  EXPECT_EQ(read(work_ / "out"), plaintext);

  // The wrong key fails there too: the test can fail.
  auto other = recryption::GroupKey::generate(Curve::p256());
  fs::path other_path = write("other.jwk", private_jwk(other.secret));
  EXPECT_NE(node({"decrypt", jwe_path.string(), other_path.string(), (work_ / "out2").string()}),
            0);
}

TEST_F(JoseInterop, StockLibrarySkipsOurAllOfRecipientAndOpensAnyOf) {
  auto g1 = recryption::GroupKey::generate(Curve::p256());
  auto g2 = recryption::GroupKey::generate(Curve::p256());
  auto g3 = recryption::GroupKey::generate(Curve::p256());
  std::string plaintext = "any-of beside all-of";
  jwe::Envelope e = jwe::encrypt(as_bytes(plaintext), {{jwe::RecipientKey{g1.public_key, {}, {}},
                                                        jwe::RecipientKey{g2.public_key, {}, {}}},
                                                       {jwe::RecipientKey{g3.public_key, {}, {}}}});
  fs::path jwe_path = write("mixed.jwe", e.serialize());
  fs::path key_path = write("g3.jwk", private_jwk(g3.secret));
  ASSERT_EQ(node({"decrypt", jwe_path.string(), key_path.string(), (work_ / "out").string()}), 0);
  EXPECT_EQ(read(work_ / "out"), plaintext);
}

TEST_F(JoseInterop, WeOpenStockLibraryEnvelope) {
  auto group = recryption::GroupKey::generate(Curve::p256());
  auto other = recryption::GroupKey::generate(Curve::p256());
  std::string plaintext = "from node with love " + std::string(1000, 'n');
  fs::path in = write("plain", plaintext);
  fs::path a_pub = write("a.pub.jwk", jwk::from_public(group.public_key).dump());
  fs::path o_pub = write("o.pub.jwk", jwk::from_public(other.public_key).dump());

  // One recipient (jose puts epk in the protected header), two recipients (epk in each
  // recipient's header), and with apu / apv set.
  struct Case {
    const char* name;
    std::vector<std::string> args;
  };
  std::vector<Case> cases = {
      {"single", {"encrypt", in.string(), (work_ / "single.jwe").string(), "-", a_pub.string()}},
      {"two",
       {"encrypt", in.string(), (work_ / "two.jwe").string(), "-", o_pub.string(), a_pub.string()}},
      {"apu", {"encrypt", in.string(), (work_ / "apu.jwe").string(), "Alice", a_pub.string()}},
      {"two-apu",
       {"encrypt", in.string(), (work_ / "two-apu.jwe").string(), "Alice", a_pub.string(),
        o_pub.string()}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_EQ(node(c.args), 0);
    std::string text = read(c.args[2]);
    jwe::Envelope e = jwe::Envelope::parse(text);
    EXPECT_EQ(e.protected_header["cty"], "text/plain");
    SecureBytes got = jwe::open_with_private_key(e, group.secret);
    EXPECT_EQ(std::string(got.begin(), got.end()), plaintext);
    // And through a member: service partial plus share, x-only path.
    auto split = recryption::split(group.secret);
    bool opened = false;
    for (const jwe::Recipient& r : e.recipients) {
      const Point& t_point = r.agreements.at(0).epk;
      auto cands = recryption::combine_candidates(
          recryption::partial(split.recryption_key, t_point), t_point.times(split.share).x_bytes());
      try {
        SecureBytes cek = jwe::unwrap_candidates(r, {{cands[0], cands[1]}});
        SecureBytes member = jwe::decrypt_content(e, cek);
        EXPECT_EQ(std::string(member.begin(), member.end()), plaintext);
        opened = true;
      } catch (const Error& err) {
        EXPECT_EQ(err.code(), Errc::decrypt_failed);
      }
    }
    EXPECT_TRUE(opened);
    if (std::string(c.name).find("apu") != std::string::npos) {
      EXPECT_FALSE(e.recipients[0].apu.empty());
    }
  }
}

TEST_F(JoseInterop, Es256BothWays) {
  Scalar k = Scalar::random(Curve::p256());
  fs::path pub = write("k.pub.jwk", jwk::from_public(k.public_point()).dump());
  fs::path priv = write("k.jwk", private_jwk(k));
  std::string payload = R"({"iss":"recrypt","n":1})";
  std::string token =
      jws::sign_compact(Json{{"kid", "ours"}}, as_bytes(payload), jws::software_signer(k));
  fs::path token_path = write("ours.jws", token);
  ASSERT_EQ(node({"verify", token_path.string(), pub.string(), (work_ / "payload").string()}), 0);
  EXPECT_EQ(read(work_ / "payload"), payload);

  // A token with one changed signature character fails there.
  std::string bad = token;
  bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
  fs::path bad_path = write("bad.jws", bad);
  EXPECT_NE(node({"verify", bad_path.string(), pub.string(), (work_ / "payload2").string()}), 0);

  fs::path payload_path = write("p", payload);
  ASSERT_EQ(node({"sign", payload_path.string(), priv.string(), (work_ / "theirs.jws").string()}),
            0);
  jws::Verified v = jws::verify_compact(read(work_ / "theirs.jws"), k.public_point());
  EXPECT_EQ(std::string(v.payload.begin(), v.payload.end()), payload);
  EXPECT_EQ(v.header["kid"], "node");
}

}  // namespace
}  // namespace recrypt
