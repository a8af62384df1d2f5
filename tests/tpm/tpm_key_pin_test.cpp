// Device keys with a PIN (TpmConfig::key_pin): made with a confirmed PIN, used only with it,
// refused with a wrong one (and its lockout), while keys made before keep working without one.
#include <tss2/tss2_esys.h>

#include <algorithm>
#include <string>
#include <vector>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/key_store.hpp"
#include "tpm/marshal.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyAuth;
using backend::KeyPurpose;

// A PinSource that records what it was asked and answers `pin`.
struct RecordingPins {
  std::string pin;
  std::vector<backend::PinRequest> asked;
  backend::PinSource source() {
    return [this](const backend::PinRequest& r) -> std::optional<SecureString> {
      asked.push_back(r);
      return SecureString(pin.begin(), pin.end());
    };
  }
};

class TpmKeyPinTest : public TpmTest {
 protected:
  std::unique_ptr<tpm::TpmBackend> make_pin_backend(backend::PinSource pins) {
    tpm::TpmConfig c = config();
    c.key_pin = true;
    return std::make_unique<tpm::TpmBackend>(c, std::move(pins));
  }

  // x·T from the TPM equals t·X in software.
  static void expect_ecdh_works(tpm::TpmBackend& tpm, const backend::KeyInfo& key) {
    const Scalar t = Scalar::random(Curve::p256());
    const auto result = tpm.ecdh(key.id, t.public_point());
    EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), key.public_key.times(t).x_bytes());
  }

  static KeyAuth listed_auth(tpm::TpmBackend& tpm, const std::string& id) {
    const auto keys = tpm.list_keys();
    const auto it =
        std::find_if(keys.begin(), keys.end(), [&](const auto& k) { return k.id == id; });
    EXPECT_NE(it, keys.end());
    EXPECT_TRUE(it != keys.end() && it->auth.has_value());
    return it != keys.end() ? it->auth.value_or(KeyAuth::policy) : KeyAuth::policy;
  }
};

TEST_F(TpmKeyPinTest, KeyMadeWithPinDoesEcdhWithTheRightPinAndAsksEachTime) {
  RecordingPins pins{"2468", {}};
  auto tpm = make_pin_backend(pins.source());
  EXPECT_EQ(tpm->capabilities().key_auth, KeyAuth::pin);
  const auto key = tpm->generate_key("laptop encryption", KeyPurpose::encryption);
  EXPECT_EQ(key.auth, KeyAuth::pin);
  // Asked twice, the new PIN and its confirmation, naming the key.
  ASSERT_EQ(pins.asked.size(), 2u);
  EXPECT_NE(pins.asked[0].description.find("New PIN for TPM key 'laptop encryption'"),
            std::string::npos);
  EXPECT_NE(pins.asked[1].description.find("Repeat"), std::string::npos);

  expect_ecdh_works(*tpm, key);
  ASSERT_EQ(pins.asked.size(), 3u);
  EXPECT_EQ(pins.asked[2].backend, "tpm");
  EXPECT_NE(pins.asked[2].description.find("PIN for TPM key 'laptop encryption' (" + key.id),
            std::string::npos)
      << pins.asked[2].description;
  EXPECT_EQ(pins.asked[2].tries_left, 3);

  // The backend keeps no PIN: after lock() the next use asks the source (the agent's cache)
  // again, and the key still works.
  tpm->lock();
  expect_ecdh_works(*tpm, key);
  EXPECT_EQ(pins.asked.size(), 4u);
  // The key file records the PIN: a new backend instance without key_pin still asks. (One
  // backend at a time: swtpm has 3 object slots.)
  tpm.reset();
  RecordingPins later{"2468", {}};
  auto plain = tpm::TpmBackend(config(), later.source());
  expect_ecdh_works(plain, key);
  EXPECT_EQ(later.asked.size(), 1u);
}

TEST_F(TpmKeyPinTest, WrongPinIsRefusedWithAuthFailedAndCountsTowardsLockout) {
  const auto key =
      make_pin_backend(constant_pin("2468"))->generate_key("laptop", KeyPurpose::encryption);
  RecordingPins pins{"1357", {}};
  auto wrong = make_pin_backend(pins.source());
  const Point peer = Scalar::random(Curve::p256()).public_point();
  const std::string msg =
      expect_backend_error(BackendErrc::auth_failed, [&] { wrong->ecdh(key.id, peer); });
  EXPECT_NE(msg.find("wrong PIN for TPM key 'laptop' (" + key.id + ")"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dictionary-attack lockout (2 tries left)"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("1357"), std::string::npos) << "the PIN never appears in a message";
  // The right PIN works next on the same connection (its session started afresh). The request
  // for it says the last one was wrong (so that the agent does not give a PIN from a file
  // again); once a PIN was accepted, the next request says nothing of it.
  pins.pin = "2468";
  expect_ecdh_works(*wrong, key);
  ASSERT_GE(pins.asked.size(), 2u);
  EXPECT_EQ(pins.asked[pins.asked.size() - 2].error, "");
  EXPECT_EQ(pins.asked.back().error,
            "the last PIN given for TPM key 'laptop' (" + key.id + ") was wrong");
  expect_ecdh_works(*wrong, key);
  EXPECT_EQ(pins.asked.back().error, "");

  // Two more wrong PINs trip the lockout; then the key says so without asking.
  pins.pin = "1357";
  expect_backend_error(BackendErrc::auth_failed, [&] { wrong->ecdh(key.id, peer); });
  const std::string last =
      expect_backend_error(BackendErrc::auth_failed, [&] { wrong->ecdh(key.id, peer); });
  EXPECT_NE(last.find("the TPM is now locked out"), std::string::npos) << last;
  wrong.reset();  // one backend at a time: swtpm has 3 object slots
  int asked = 0;
  auto right = make_pin_backend([&](const backend::PinRequest&) -> std::optional<SecureString> {
    ++asked;
    return SecureString("2468");
  });
  const std::string locked =
      expect_backend_error(BackendErrc::locked, [&] { right->ecdh(key.id, peer); });
  EXPECT_NE(locked.find("TPM key 'laptop' (" + key.id + ") cannot be used"), std::string::npos)
      << locked;
  EXPECT_NE(locked.find("dictionary-attack lockout"), std::string::npos) << locked;
  EXPECT_EQ(asked, 0) << "no PIN prompt while the TPM is locked out";
  {
    auto ctx = tpm::EsysContext::open(swtpm_->tcti());
    tpm::check_rc("DictionaryAttackLockReset",
                  Esys_DictionaryAttackLockReset(ctx.get(), ESYS_TR_RH_LOCKOUT, ESYS_TR_PASSWORD,
                                                 ESYS_TR_NONE, ESYS_TR_NONE));
  }
  expect_ecdh_works(*right, key);
}

TEST_F(TpmKeyPinTest, SigningKeyWithPin) {
  const auto key =
      make_pin_backend(constant_pin("2468"))->generate_key("laptop signing", KeyPurpose::signing);
  EXPECT_EQ(key.auth, KeyAuth::pin);
  const std::string message = R"({"AddMemberRequest":{}})";
  const Bytes sig = make_pin_backend(constant_pin("2468"))->sign_digest(key.id, sha256(message));
  EXPECT_TRUE(verify_es256(key.public_key, message, sig));
  const std::string msg = expect_backend_error(BackendErrc::auth_failed, [&] {
    make_pin_backend(constant_pin("0000"))->sign_digest(key.id, sha256(message));
  });
  EXPECT_NE(msg.find("wrong PIN for TPM key 'laptop signing'"), std::string::npos) << msg;
}

TEST_F(TpmKeyPinTest, OldKeysWithoutPinStillWorkWithoutAsking) {
  const auto old_enc = make_backend()->generate_key("old encryption", KeyPurpose::encryption);
  const auto old_sig = make_backend()->generate_key("old signing", KeyPurpose::signing);
  EXPECT_EQ(old_enc.auth, KeyAuth::none);
  RecordingPins pins{"2468", {}};
  auto tpm = make_pin_backend(pins.source());
  const auto fresh = tpm->generate_key("new", KeyPurpose::encryption);
  pins.asked.clear();
  expect_ecdh_works(*tpm, old_enc);
  EXPECT_TRUE(verify_es256(old_sig.public_key, "m", tpm->sign_digest(old_sig.id, sha256("m"))));
  EXPECT_TRUE(pins.asked.empty()) << "a key without a PIN is used without asking";
  EXPECT_EQ(listed_auth(*tpm, old_enc.id), KeyAuth::none);
  EXPECT_EQ(listed_auth(*tpm, old_sig.id), KeyAuth::none);
  EXPECT_EQ(listed_auth(*tpm, fresh.id), KeyAuth::pin);
}

TEST_F(TpmKeyPinTest, ConfirmationMustMatch) {
  std::vector<std::string> answers{"1111", "2222", "", "3333", "3333"};
  std::vector<std::string> errors;
  std::size_t next = 0;
  auto tpm = make_pin_backend([&](const backend::PinRequest& r) -> std::optional<SecureString> {
    errors.push_back(r.error);
    if (next >= answers.size()) return SecureString("3333");
    return SecureString(answers[next++]);
  });
  const auto key = tpm->generate_key("k", KeyPurpose::encryption);
  EXPECT_EQ(errors,
            (std::vector<std::string>{"", "", "the two PINs differ", "the PIN must not be empty",
                                      "the PIN must not be empty"}));
  errors.clear();
  answers = {"3333"};
  next = 0;
  expect_ecdh_works(*tpm, key);

  // Three mismatches give up: no key, no PIN in the message.
  std::size_t n = 0;
  auto typo = make_pin_backend([&](const backend::PinRequest&) -> std::optional<SecureString> {
    return SecureString(std::to_string(++n) + "9");
  });
  const std::string msg = expect_backend_error(
      BackendErrc::cancelled, [&] { typo->generate_key("k2", KeyPurpose::encryption); });
  EXPECT_NE(msg.find("no PIN set for TPM key 'k2': the two PINs differ"), std::string::npos) << msg;
  EXPECT_EQ(typo->list_keys().size(), 1u);
}

TEST_F(TpmKeyPinTest, KeyFileRecordsThePinAndOldFilesReadAsNoPin) {
  const auto key =
      make_pin_backend(constant_pin("2468"))->generate_key("k", KeyPurpose::encryption);
  Bytes data = tpm::KeyStore(data_->path()).read(key.id).value();
  EXPECT_TRUE(tpm::decode_key_blob(data).pin_auth);
  // "RCTK" 01 | purpose | flags: an old file has flags 0 or 1 (resident share).
  ASSERT_EQ(data[6], 0x02);
  data[6] = 0x01;
  EXPECT_FALSE(tpm::decode_key_blob(data).pin_auth);
  EXPECT_TRUE(tpm::decode_key_blob(data).resident_share);
  data[6] = 0x04;
  try {
    tpm::decode_key_blob(data);
    ADD_FAILURE() << "unknown flag accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown flags"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace recrypt::testing
