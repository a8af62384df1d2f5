// Sealing a small secret under a PIN: round trip, wrong PIN, cancelled prompt, lockout.
#include <tss2/tss2_esys.h>

#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;

Bytes secret_bytes() {
  Bytes s(32);
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return s;
}

TEST_F(TpmTest, SealUnsealRoundTrip) {
  std::vector<std::string> asked;
  auto tpm = make_backend([&](const backend::PinRequest& r) -> std::optional<SecureString> {
    asked.push_back(r.description);
    EXPECT_EQ(r.backend, "tpm");
    return SecureString("correct horse");
  });
  const Bytes secret = secret_bytes();
  const Bytes blob = tpm->seal("group accounting", secret);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_NE(asked[0].find("group accounting"), std::string::npos);
  const SecureBytes back = tpm->unseal(blob);
  EXPECT_EQ(Bytes(back.begin(), back.end()), secret);
  // The blob names its format and never carries the secret in the clear.
  EXPECT_EQ(as_chars(ByteView(blob).first(4)), "RCTS");
  EXPECT_EQ(std::search(blob.begin(), blob.end(), secret.begin(), secret.end()), blob.end());
}

TEST_F(TpmTest, LongPinsAndSizeLimits) {
  auto tpm = make_backend(constant_pin(std::string(100, 'p')));
  const Bytes max(128, 0xAB);
  EXPECT_EQ(Bytes(tpm->unseal(tpm->seal("max", max)).size(), 0xAB), max);
  const Bytes one(1, 0x00);
  const SecureBytes back = tpm->unseal(tpm->seal("one", one));
  EXPECT_EQ(Bytes(back.begin(), back.end()), one);
  expect_backend_error(BackendErrc::unsupported, [&] { tpm->seal("big", Bytes(129, 1)); });
  expect_backend_error(BackendErrc::unsupported, [&] { tpm->seal("empty", {}); });
}

TEST_F(TpmTest, LongPinWhoseHashEndsInZeroWorks) {
  // Long PINs are hashed, and we trim trailing zero octets of the hash as auth values are
  // trimmed: the round trip must hold for a hash that ends in 0x00 too.
  std::string pin;
  for (int i = 0;; ++i) {
    pin = "a long passphrase of more than thirty-two bytes #" + std::to_string(i);
    if (sha256(pin).back() == 0) break;
  }
  auto tpm = make_backend(constant_pin(pin));
  const Bytes secret = secret_bytes();
  const SecureBytes back = tpm->unseal(tpm->seal("g", secret));
  EXPECT_EQ(Bytes(back.begin(), back.end()), secret);
}

TEST_F(TpmTest, UnsealSurvivesBackendRecreationAndSwtpmRestart) {
  const Bytes secret = secret_bytes();
  Bytes blob = make_backend()->seal("g", secret);
  swtpm_->restart();
  const SecureBytes back = make_backend()->unseal(blob);
  EXPECT_EQ(Bytes(back.begin(), back.end()), secret);
}

TEST_F(TpmTest, WrongPinIsAuthFailed) {
  const Bytes blob = make_backend(constant_pin("1234"))->seal("g", secret_bytes());
  auto wrong = make_backend(constant_pin("9999"));
  const auto msg = expect_backend_error(BackendErrc::auth_failed, [&] { wrong->unseal(blob); });
  EXPECT_EQ(msg.find("9999"), std::string::npos) << "the PIN must never appear in messages";
  // The right PIN still works afterwards, and the failure left no handle behind.
  auto right = make_backend(constant_pin("1234"));
  EXPECT_EQ(right->unseal(blob).size(), 32u);
  wrong.reset();
  EXPECT_EQ(right->loaded_handles().transient, 1u);  // only the storage parent
}

TEST_F(TpmTest, CancelledPinIsCancelled) {
  auto tpm = make_backend([](const backend::PinRequest&) { return std::optional<SecureString>{}; });
  expect_backend_error(BackendErrc::cancelled, [&] { tpm->seal("g", secret_bytes()); });
}

TEST_F(TpmTest, CorruptBlobsAreMalformed) {
  auto tpm = make_backend();
  Bytes blob = tpm->seal("g", secret_bytes());
  EXPECT_THROW(tpm->unseal(ByteView(blob).first(blob.size() - 3)), Error);
  Bytes bad_magic = blob;
  bad_magic[0] = 'X';
  EXPECT_THROW(tpm->unseal(bad_magic), Error);
  // A flipped bit inside the private area: the TPM's integrity check refuses it.
  Bytes flipped = blob;
  flipped[flipped.size() - 5] ^= 0x01;
  expect_backend_error(BackendErrc::device, [&] { tpm->unseal(flipped); });
  EXPECT_EQ(tpm->unseal(blob).size(), 32u);
}

TEST_F(TpmTest, BlobSealedOnAnotherTpmIsRefused) {
  Swtpm other_tpm;
  TempDir other_data("recrypt-tpmdata");
  tpm::TpmConfig other_config;
  other_config.tcti = other_tpm.tcti();
  other_config.data_dir = other_data.path();
  const Bytes blob = tpm::TpmBackend(other_config, constant_pin("1234")).seal("g", secret_bytes());
  const auto msg = expect_backend_error(BackendErrc::device, [&] { make_backend()->unseal(blob); });
  EXPECT_NE(msg.find("another TPM"), std::string::npos) << msg;
}

TEST_F(TpmTest, RepeatedWrongPinsLockTheTpm) {
  const Bytes blob = make_backend(constant_pin("1234"))->seal("g", secret_bytes());
  std::vector<std::optional<int>> tries;
  auto wrong = make_backend([&](const backend::PinRequest& r) -> std::optional<SecureString> {
    tries.push_back(r.tries_left);
    return SecureString("0000");
  });
  // swtpm starts with maxTries 3: the third failure trips the lockout.
  for (int i = 0; i < 3; ++i)
    expect_backend_error(BackendErrc::auth_failed, [&] { wrong->unseal(blob); });
  EXPECT_EQ(tries, (std::vector<std::optional<int>>{3, 2, 1}));
  const auto msg = expect_backend_error(BackendErrc::locked, [&] { wrong->unseal(blob); });
  EXPECT_NE(msg.find("dictionary-attack"), std::string::npos) << msg;
  EXPECT_EQ(tries.size(), 3u) << "no PIN prompt while the TPM is locked out";
  wrong.reset();
  // Even the right PIN is refused while locked out; the lockout hierarchy can reset it.
  {
    auto right = make_backend(constant_pin("1234"));
    expect_backend_error(BackendErrc::locked, [&] { right->unseal(blob); });
  }
  {
    auto ctx = tpm::EsysContext::open(swtpm_->tcti());
    tpm::check_rc("DictionaryAttackLockReset",
                  Esys_DictionaryAttackLockReset(ctx.get(), ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD,
                                                 ESYS_TR_NONE, ESYS_TR_NONE));
  }
  EXPECT_EQ(make_backend(constant_pin("1234"))->unseal(blob).size(), 32u);
}

}  // namespace
}  // namespace recrypt::testing
