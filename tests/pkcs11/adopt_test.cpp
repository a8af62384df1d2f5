// Keys provisioned by another tool (OpenSC's pkcs11-tool) are adopted by URI and used, both
// through SoftHSM2's module and through p11-kit-proxy.
#include "backend_fixture.hpp"

#include <cstdio>

#include "pkcs11/share_wrap.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

class AdoptTest : public TokenTest, public ::testing::WithParamInterface<bool> {
 protected:
  std::string module() const { return GetParam() ? SoftHsm::proxy_path() : SoftHsm::module_path(); }
  void keypairgen(const std::string& label, const std::string& id, const std::string& usage) {
    hsm.run({"pkcs11-tool", "--module", SoftHsm::module_path(), "--token-label", "alice", "--login",
             "--pin", SoftHsm::kUserPin, "--keypairgen", "--key-type", "EC:prime256v1", "--id", id,
             "--label", label, usage});
  }
};

TEST_P(AdoptTest, PkcsToolKeysAreListedAndUsable) {
  keypairgen("card-enc", "a1b2", "--usage-derive");
  keypairgen("card-sig", "c3d4", "--usage-sign");
  auto b = make_backend("alice", module());

  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 2u);
  const auto& enc = keys[0].label == "card-enc" ? keys[0] : keys[1];
  const auto& sig = keys[0].label == "card-enc" ? keys[1] : keys[0];
  EXPECT_EQ(enc.purpose, backend::KeyPurpose::encryption);
  EXPECT_EQ(sig.purpose, backend::KeyPurpose::signing);
  EXPECT_NE(enc.id.find("id=%A1%B2"), std::string::npos) << enc.id;

  // Adopted by a URI written by hand: label only, and the id the backend lists.
  Scalar t = Scalar::random(Curve::p256());
  Point big_t = t.public_point();
  Bytes want = enc.public_key.times(t).x_bytes();
  auto by_label = b->ecdh("pkcs11:token=alice;object=card-enc;type=private", big_t);
  EXPECT_EQ(Bytes(by_label.x.begin(), by_label.x.end()), want);
  auto by_id = b->ecdh(enc.id, big_t);
  EXPECT_EQ(Bytes(by_id.x.begin(), by_id.x.end()), want);

  Bytes msg = to_bytes(as_bytes("profile"));
  EXPECT_TRUE(verify_es256(sig.public_key, msg,
                           b->sign_digest("pkcs11:object=card-sig;id=%C3%D4", sha256(msg))));

  // A share wrapped for the adopted key imports through it.
  Scalar share = Scalar::random(Curve::p256());
  auto key = b->import_share("share", pkcs11::wrap_share_for_pkcs11(enc.public_key, share));
  auto r = b->ecdh(key.id, big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), big_t.times(share).x_bytes());
}

INSTANTIATE_TEST_SUITE_P(Module, AdoptTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "P11KitProxy" : "SoftHsm2"; });

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

// A PIV-style signing key that wants the PIN again for every signature.
TEST_F(TokenTest, AlwaysAuthenticateKeySigns) {
  hsm.run({"pkcs11-tool", "--module", SoftHsm::module_path(), "--token-label", "alice", "--login",
           "--pin", SoftHsm::kUserPin, "--keypairgen", "--key-type", "EC:prime256v1", "--id", "9c",
           "--label", "piv-sig", "--usage-sign", "--always-auth"});
  auto b = make_backend();
  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 1u);
  Bytes msg = to_bytes(as_bytes("m"));
  EXPECT_TRUE(verify_es256(keys[0].public_key, msg, b->sign_digest(keys[0].id, sha256(msg))));
  EXPECT_TRUE(verify_es256(keys[0].public_key, msg, b->sign_digest(keys[0].id, sha256(msg))));
  EXPECT_EQ(pins.calls, 1);  // the cached PIN serves the per-signature login
}

// A private key written in from a file (C_CreateObject) with no public key object: usable by
// URI even where list_keys() cannot show its public point.
TEST_F(TokenTest, WrittenPrivateKeyIsUsableByUri) {
  Scalar x = Scalar::random(Curve::p256());
  SecureBytes der = pkcs11::pkcs8_private_key(x);
  auto path = hsm.dir() / "key.der";
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(der.data(), 1, der.size(), f);
    std::fclose(f);
  }
  hsm.run({"pkcs11-tool", "--module", SoftHsm::module_path(), "--token-label", "alice", "--login",
           "--pin", SoftHsm::kUserPin, "--write-object", path.string(), "--type", "privkey",
           "--usage-derive", "--id", "77", "--label", "written"});
  auto b = make_backend();
  Point big_t = Scalar::random(Curve::p256()).public_point();
  auto r = b->ecdh("pkcs11:token=alice;id=%77;type=private", big_t);
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), big_t.times(x).x_bytes());
  for (const auto& k : b->list_keys())
    if (k.label == "written") {
      EXPECT_TRUE(k.public_key == x.public_point());
    }
}

}  // namespace
}  // namespace recrypt::testing
