// Secrets sealed for another device's token: an administrator seals a 32-byte secret in
// software to a member's device encryption key (pkcs11-sealed-v1); the member's backend checks
// that its token holds that key, without decrypting anything, and unseal() opens the result.
#include <algorithm>

#include "backend_fixture.hpp"
#include "pkcs11/sealed_blob.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyPurpose;

Bytes secret_32() {
  const SecureBytes s = Scalar::random(Curve::p256()).to_bytes();
  return Bytes(s.begin(), s.end());
}

Bytes plain(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

// The message of the backend error `f` throws, after checking its code.
template <class F>
std::string refusal(BackendErrc code, F&& f) {
  try {
    f();
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(backend::backend_errc_name(e.code()), backend::backend_errc_name(code)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no BackendError thrown";
  return {};
}

constexpr const char* kNotOnToken =
    "the secret is sealed to a device encryption key that is not on token 'alice' (no private "
    "key that can derive has its public point)";

TEST_F(TokenTest, WrappedSecretImportsAndUnseals) {
  auto b = make_backend();
  const auto device = b->generate_key("dev-enc", KeyPurpose::encryption);
  // Administrator side: software only, knowing the device key's public point alone.
  const Bytes secret = secret_32();
  const backend::WrappedShare wrapped =
      pkcs11::wrap_secret_for_pkcs11(device.public_key, "group key g1", secret);
  EXPECT_EQ(wrapped.format, "pkcs11-sealed-v1");
  EXPECT_EQ(std::search(wrapped.data.begin(), wrapped.data.end(), secret.begin(), secret.end()),
            wrapped.data.end());
  const auto parsed = pkcs11::parse_sealed_blob(wrapped.data);
  EXPECT_EQ(parsed.key_uri, "");
  EXPECT_EQ(parsed.label, "group key g1");
  EXPECT_TRUE(parsed.token_key == device.public_key);

  const Bytes sealed = b->import_sealed("group key g1", wrapped);
  EXPECT_EQ(plain(b->unseal(sealed)), secret);
  // Another backend on the same token (a restart) opens it too; no key was added.
  EXPECT_EQ(plain(make_backend()->unseal(sealed)), secret);
  EXPECT_EQ(b->list_keys().size(), 1u);
}

TEST_F(TokenTest, TokenWithoutTheKeyRefusesTheWrappedSecret) {
  hsm.init_token("bob");
  auto alice = make_backend("alice");
  auto bob = make_backend("bob");
  const auto device = bob->generate_key("dev-enc", KeyPurpose::encryption);
  alice->generate_key("dev-enc", KeyPurpose::encryption);
  const auto wrapped = pkcs11::wrap_secret_for_pkcs11(device.public_key, "g", secret_32());
  EXPECT_EQ(refusal(BackendErrc::no_such_key, [&] { alice->import_sealed("g", wrapped); }),
            kNotOnToken);
  // Nor does alice's token open bob's imported blob.
  const Bytes sealed = bob->import_sealed("g", wrapped);
  EXPECT_EQ(refusal(BackendErrc::no_such_key, [&] { alice->unseal(sealed); }), kNotOnToken);

  // A key with that point that cannot derive (a signing key) does not count.
  const auto signing = alice->generate_key("dev-sign", KeyPurpose::signing);
  const auto to_signing = pkcs11::wrap_secret_for_pkcs11(signing.public_key, "g", secret_32());
  EXPECT_EQ(refusal(BackendErrc::no_such_key, [&] { alice->import_sealed("g", to_signing); }),
            kNotOnToken);
}

TEST_F(TokenTest, TamperedOrMislabelledWrappedSecretsAreRefused) {
  auto b = make_backend();
  const auto device = b->generate_key("dev-enc", KeyPurpose::encryption);
  const Bytes secret = secret_32();
  const auto wrapped = pkcs11::wrap_secret_for_pkcs11(device.public_key, "g", secret);

  // The ciphertext: import decrypts nothing, so it is unseal() that finds the damage.
  auto ciphertext = wrapped;
  ciphertext.data[ciphertext.data.size() - 20] ^= 1;
  const Bytes damaged = b->import_sealed("g", ciphertext);
  try {
    b->unseal(damaged);
    ADD_FAILURE() << "a damaged secret opened";
  } catch (const Error& e) {
    EXPECT_EQ(errc_name(e.code()), errc_name(Errc::decrypt_failed)) << e.what();
    EXPECT_EQ(std::string(e.what()),
              "sealed blob does not open with this token key (wrong token or tampered)");
  }

  // The label is carried (and authenticated), and must be the one imported under.
  try {
    b->import_sealed("h", wrapped);
    ADD_FAILURE() << "label mismatch accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the sealed secret was wrapped as 'g', not as 'h'");
  }

  // A blob that names a token key, as seal() makes: not what a sender can know.
  const Bytes own = b->seal("g", secret);
  try {
    b->import_sealed("g", {"pkcs11-sealed-v1", secure_copy(own)});
    ADD_FAILURE() << "a blob with a key id accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "a pkcs11-sealed-v1 secret names its token key by its point only");
  }

  auto truncated = wrapped;
  truncated.data.resize(60);
  EXPECT_THROW(b->import_sealed("g", truncated), Error);
  EXPECT_NE(refusal(BackendErrc::unsupported,
                    [&] {
                      b->import_sealed("g", {"tpm2-duplicate-sealed-v1", wrapped.data});
                    })
                .find("format 'tpm2-duplicate-sealed-v1'"),
            std::string::npos);

  // The untouched one still imports and opens.
  EXPECT_EQ(plain(b->unseal(b->import_sealed("g", wrapped))), secret);
}

TEST(Pkcs11SealedWrap, MalformedInputIsAClearErrorNeverACrash) {
  const Point d = Scalar::random(Curve::p256()).public_point();
  const auto wrapped = pkcs11::wrap_secret_for_pkcs11(d, "label", secret_32());
  const Bytes data(wrapped.data.begin(), wrapped.data.end());
  // "RPKS" 01 | E (65) | D (65) | u16(0), no key id | u16(5) "label" | nonce (12) | ct | tag
  ASSERT_EQ(data.size(), 5u + 65 + 65 + 2 + 2 + 5 + 12 + 32 + 16);
  EXPECT_EQ(to_hex(ByteView(data).subspan(135, 9)), "000000056c6162656c");
  // Cut anywhere before the tag could fit: refused by the parser. Cut later, it parses (the
  // ciphertext's length is not written down), and the tag refuses it when it is opened.
  const std::size_t header = pkcs11::parse_sealed_blob(data).header_size;
  for (std::size_t n = 0; n < header + 16; ++n)
    EXPECT_THROW(pkcs11::parse_sealed_blob(ByteView(data).first(n)), Error) << n;
  Bytes off_curve = data;
  off_curve[70 + 64] ^= 1;  // D's last byte: no longer a point of P-256
  EXPECT_THROW(pkcs11::parse_sealed_blob(off_curve), Error);
  EXPECT_THROW(pkcs11::wrap_secret_for_pkcs11(d, "big", Bytes(4097, 1)), Error);
}

}  // namespace
}  // namespace recrypt::testing
