// Secrets sealed for another device's TPM: an administrator wraps a 32-byte secret in software
// for a member TPM's storage parent (tpm2-duplicate-sealed-v1); that TPM imports it under a PIN
// asked at import, and unseal() opens the result like a seal() blob.
#include <algorithm>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/marshal.hpp"
#include "tpm/sealed_wrap.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;

Bytes secret_32() {
  const SecureBytes s = Scalar::random(Curve::p256()).to_bytes();
  return Bytes(s.begin(), s.end());
}

Bytes plain(const SecureBytes& s) { return Bytes(s.begin(), s.end()); }

// Offsets in a wrapped secret labelled "g": 5-byte header, u16 label length and 1 byte, then
// the TPM2B_PUBLIC (size at 8, TPMT_PUBLIC from 10: type 10, nameAlg 12, attributes 14,
// authPolicy 18, scheme 20, unique 22), the TPM2B_PRIVATE at 56 and the seed at 166.
constexpr std::size_t kAttributes = 14;
constexpr std::size_t kUnique = 22;
constexpr std::size_t kPrivate = 56;
constexpr std::size_t kSeed = 166;

TEST_F(TpmTest, WrappedSecretImportsAndUnsealsUnderThePinAskedAtImport) {
  std::vector<std::string> asked;
  auto member = make_backend([&](const backend::PinRequest& r) -> std::optional<SecureString> {
    asked.push_back(r.description);
    return SecureString("member pin");
  });
  // Administrator side: software only, with nothing but the parent's public key.
  const Bytes secret = secret_32();
  const backend::WrappedShare wrapped =
      tpm::wrap_secret_for_tpm(member->parent_public(), "group key g1", secret);
  EXPECT_EQ(wrapped.format, "tpm2-duplicate-sealed-v1");
  EXPECT_EQ(std::search(wrapped.data.begin(), wrapped.data.end(), secret.begin(), secret.end()),
            wrapped.data.end());

  const Bytes sealed = member->import_sealed("group key g1", wrapped);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0], "PIN to protect the sealed secret 'group key g1'");
  // The same kind of blob seal() makes, and never the secret in the clear.
  EXPECT_EQ(as_chars(ByteView(sealed).first(4)), "RCTS");
  EXPECT_EQ(tpm::decode_sealed_blob(sealed).label, "group key g1");
  EXPECT_EQ(std::search(sealed.begin(), sealed.end(), secret.begin(), secret.end()), sealed.end());
  EXPECT_EQ(plain(member->unseal(sealed)), secret);
  EXPECT_EQ(asked.back(), "PIN for the sealed secret 'group key g1'");
  // Import left nothing loaded but the storage parent.
  EXPECT_EQ(member->loaded_handles().transient, 1u);

  // After a TPM restart, from the stored blob alone.
  member.reset();
  swtpm_->restart();
  EXPECT_EQ(plain(make_backend(constant_pin("member pin"))->unseal(sealed)), secret);
}

TEST_F(TpmTest, ImportedSecretNeedsThePinGivenAtImport) {
  const Bytes secret = secret_32();
  auto member = make_backend(constant_pin("1234"));
  const Bytes sealed =
      member->import_sealed("k", tpm::wrap_secret_for_tpm(member->parent_public(), "k", secret));
  const std::string msg = expect_backend_error(
      BackendErrc::auth_failed, [&] { make_backend(constant_pin("9999"))->unseal(sealed); });
  EXPECT_EQ(msg.find("9999"), std::string::npos) << "the PIN must never appear in messages";
  // The empty auth value it travelled with no longer opens it.
  expect_backend_error(BackendErrc::auth_failed,
                       [&] { make_backend(constant_pin(""))->unseal(sealed); });
  EXPECT_EQ(plain(make_backend(constant_pin("1234"))->unseal(sealed)), secret);
}

TEST_F(TpmTest, SecretWrappedForAnotherTpmIsRefusedAtImport) {
  Swtpm other_tpm;
  TempDir other_data("recrypt-tpmdata");
  tpm::TpmConfig other_config;
  other_config.tcti = other_tpm.tcti();
  other_config.data_dir = other_data.path();
  tpm::TpmBackend other(other_config, constant_pin("1"));

  auto member = make_backend();
  ASSERT_FALSE(other.parent_public().key == member->parent_public().key);
  const Bytes secret = secret_32();
  const auto wrapped = tpm::wrap_secret_for_tpm(other.parent_public(), "k", secret);
  const std::string msg =
      expect_backend_error(BackendErrc::device, [&] { member->import_sealed("k", wrapped); });
  EXPECT_NE(msg.find("TPM2_Import (sealed secret)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("does not belong to this TPM's storage key"), std::string::npos) << msg;
  EXPECT_EQ(member->loaded_handles().transient, 1u);
  // The TPM it was made for takes it.
  EXPECT_EQ(plain(other.unseal(other.import_sealed("k", wrapped))), secret);
}

TEST_F(TpmTest, TamperedOrMislabelledWrappedSecretsAreRefused) {
  auto member = make_backend();
  const auto wrapped = tpm::wrap_secret_for_tpm(member->parent_public(), "g", secret_32());
  ASSERT_EQ(wrapped.data.size(), 236u);
  auto expect_tpm_refuses = [&](const backend::WrappedShare& bad, const char* what) {
    const std::string msg =
        expect_backend_error(BackendErrc::device, [&] { member->import_sealed("g", bad); });
    EXPECT_NE(msg.find("TPM2_Import (sealed secret)"), std::string::npos) << what << ": " << msg;
  };

  // A bit flipped in the encrypted sensitive area, the outer HMAC, or the public area's unique
  // digest (which changes the Name the HMAC covers): the TPM's integrity check catches each.
  auto sensitive = wrapped;
  sensitive.data[kSeed - 10] ^= 0x40;
  expect_tpm_refuses(sensitive, "sensitive area");
  auto hmac = wrapped;
  hmac.data[kPrivate + 4] ^= 0x01;
  expect_tpm_refuses(hmac, "outer HMAC");
  auto unique = wrapped;
  unique.data[kUnique + 2] ^= 0x01;
  expect_tpm_refuses(unique, "unique");

  // Attributes other than a PIN-protected sealed object's are refused before the TPM sees
  // them: sign (it would be an HMAC key), noDA (wrong PINs would not count towards the
  // lockout). The attributes are a big-endian u32: bit 18 in its second byte, bit 10 in its
  // third.
  for (const std::size_t byte : {kAttributes + 1, kAttributes + 2}) {
    auto attrs = wrapped;
    attrs.data[byte] |= 0x04;
    try {
      member->import_sealed("g", attrs);
      ADD_FAILURE() << "attributes accepted";
    } catch (const Error& e) {
      EXPECT_EQ(errc_name(e.code()), errc_name(Errc::unsupported)) << e.what();
      EXPECT_NE(std::string(e.what()).find("does not describe a sealed data object"),
                std::string::npos)
          << e.what();
    }
  }

  // Truncated: the parser refuses it, naming the format.
  auto truncated = wrapped;
  truncated.data.resize(truncated.data.size() - 1);
  try {
    member->import_sealed("g", truncated);
    ADD_FAILURE() << "truncated blob accepted";
  } catch (const Error& e) {
    EXPECT_EQ(errc_name(e.code()), errc_name(Errc::truncated)) << e.what();
    EXPECT_NE(std::string(e.what()).find("tpm2-duplicate-sealed-v1"), std::string::npos);
  }

  // Imported under another label than it was wrapped under.
  try {
    member->import_sealed("h", wrapped);
    ADD_FAILURE() << "label mismatch accepted";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the sealed secret was wrapped as 'g', not as 'h'");
  }

  // Another backend's format, or a member share's.
  const std::string msg = expect_backend_error(BackendErrc::unsupported, [&] {
    member->import_sealed("g", {"pkcs11-sealed-v1", {}});
  });
  EXPECT_NE(msg.find("format 'pkcs11-sealed-v1'"), std::string::npos) << msg;
  expect_backend_error(BackendErrc::unsupported, [&] {
    member->import_sealed("g", {"tpm2-duplicate-v1", wrapped.data});
  });

  EXPECT_EQ(member->loaded_handles().transient, 1u);
  // The untouched blob still imports.
  EXPECT_EQ(member->unseal(member->import_sealed("g", wrapped)).size(), 32u);
}

TEST(TpmSealedWrap, EncodingIsTheDocumentedOne) {
  const Point p = Scalar::random(Curve::p256()).public_point();
  const auto wrapped = tpm::wrap_secret_for_tpm(tpm::TpmParentPublic{p}, "g", secret_32());
  const Bytes data(wrapped.data.begin(), wrapped.data.end());
  ASSERT_EQ(data.size(), 5u + 3 + 48 + 110 + 70);
  EXPECT_EQ(to_hex(ByteView(data).first(8)), "5243545701000167");  // "RCTW" 01 u16(1) "g"
  // TPM2B_PUBLIC: u16(46), KEYEDHASH, SHA-256, userWithAuth, no policy, no scheme, u16(32)
  EXPECT_EQ(to_hex(ByteView(data).subspan(8, 16)), "002e0008000b00000040000000100020");
  EXPECT_EQ(to_hex(ByteView(data).subspan(kPrivate, 4)), "006c0020");  // u16(108) u16(32)
  EXPECT_EQ(to_hex(ByteView(data).subspan(kSeed, 4)), "00440020");     // u16(68) u16(32) x

  const auto blob = tpm::decode_duplicate_sealed_blob(data);
  EXPECT_EQ(blob.label, "g");
  EXPECT_NO_THROW(tpm::require_imported_sealed_public(blob.dup.pub));
  EXPECT_EQ(tpm::encode_duplicate_sealed_blob(blob), data);
}

TEST(TpmSealedWrap, MalformedInputIsAClearErrorNeverACrash) {
  const auto wrapped = tpm::wrap_secret_for_tpm(
      tpm::TpmParentPublic{Scalar::random(Curve::p256()).public_point()}, "label", secret_32());
  const Bytes data(wrapped.data.begin(), wrapped.data.end());
  for (std::size_t n = 0; n < data.size(); ++n) {
    try {
      tpm::decode_duplicate_sealed_blob(ByteView(data).first(n));
      ADD_FAILURE() << "cut to " << n << " bytes was accepted";
    } catch (const Error& e) {
      EXPECT_TRUE(e.code() == Errc::truncated || e.code() == Errc::malformed) << e.what();
      EXPECT_NE(std::string(e.what()).find("tpm2-duplicate-sealed-v1 secret"), std::string::npos)
          << e.what();
    }
  }
  Bytes longer = data;
  longer.push_back(0);
  EXPECT_THROW(tpm::decode_duplicate_sealed_blob(longer), Error);
  Bytes version = data;
  version[4] = 2;
  EXPECT_THROW(tpm::decode_duplicate_sealed_blob(version), Error);
  // A member share's blob is not a sealed secret.
  Bytes share = data;
  share[3] = 'D';
  EXPECT_THROW(tpm::decode_duplicate_sealed_blob(share), Error);

  EXPECT_THROW(tpm::wrap_secret_for_tpm(
                   tpm::TpmParentPublic{Scalar::random(Curve::p256()).public_point()}, "empty", {}),
               Error);
  EXPECT_THROW(
      tpm::wrap_secret_for_tpm(tpm::TpmParentPublic{Scalar::random(Curve::p256()).public_point()},
                               "big", Bytes(129, 1)),
      Error);
}

}  // namespace
}  // namespace recrypt::testing
