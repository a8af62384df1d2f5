#include "backend_fixture.hpp"

#include "pkcs11/sealed_blob.hpp"

namespace recrypt::testing {
namespace {

TEST_F(TokenTest, SealedSecretOpensOnTheSameToken) {
  auto b = make_backend();
  Bytes secret(32);
  for (std::size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<std::uint8_t>(i * 7 + 1);
  Bytes blob = b->seal("group-master", secret);
  SecureBytes back = b->unseal(blob);
  EXPECT_EQ(Bytes(back.begin(), back.end()), secret);

  // The seal key was made once and is reused.
  Bytes blob2 = b->seal("other", secret);
  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].label, "recrypt-seal");
  EXPECT_EQ(pkcs11::parse_sealed_blob(blob2).key_uri, keys[0].id);
  EXPECT_NE(blob, blob2);  // fresh ephemeral and nonce each time

  // A second backend (a restart) opens it too.
  auto b2 = make_backend();
  SecureBytes again = b2->unseal(blob);
  EXPECT_EQ(Bytes(again.begin(), again.end()), secret);
}

TEST_F(TokenTest, TamperedBlobIsRefused) {
  auto b = make_backend();
  Bytes secret(32, 0x42);
  Bytes blob = b->seal("group-master", secret);
  for (std::size_t pos : {blob.size() - 1, blob.size() - 20, std::size_t{300}}) {
    if (pos >= blob.size()) continue;
    Bytes bad = blob;
    bad[pos] ^= 1;
    EXPECT_ANY_THROW(b->unseal(bad));
  }
  Bytes truncated(blob.begin(), blob.begin() + 50);
  EXPECT_THROW(b->unseal(truncated), Error);
  EXPECT_THROW(b->unseal(Bytes{}), Error);
  // The label is authenticated.
  pkcs11::SealedBlob parsed = pkcs11::parse_sealed_blob(blob);
  std::size_t label_at = parsed.header_size - 12 - parsed.label.size();
  Bytes relabelled = blob;
  relabelled[label_at] ^= 0x20;
  EXPECT_THROW(b->unseal(relabelled), Error);
}

TEST_F(TokenTest, BlobOfAnotherTokenDoesNotOpen) {
  hsm.init_token("bob");
  auto alice = make_backend("alice");
  auto bob = make_backend("bob");
  Bytes blob = alice->seal("group-master", Bytes(32, 1));
  EXPECT_EQ(backend_error_code([&] { bob->unseal(blob); }), backend::BackendErrc::no_such_key);
}

}  // namespace
}  // namespace recrypt::testing
