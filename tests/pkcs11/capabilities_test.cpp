// What the backend reads from the token's mechanism list and does with it, keys adopted for a
// purpose, and a failed generation cleaned up. Tokens that refuse things SoftHSM2 allows are
// modelled by tests/pkcs11/pin_counter_module.cpp's knobs.
#include <stdlib.h>

#include <fstream>
#include <functional>

#include "backend_fixture.hpp"
#include "pkcs11/piv_slots.hpp"
#include "pkcs11/share_wrap.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::BackendError;
using backend::KeyPurpose;

std::string error_text(const std::function<void()>& f) {
  try {
    f();
  } catch (const BackendError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no BackendError thrown";
  return {};
}

class CapabilitiesTest : public TokenTest {
 protected:
  void keypairgen(const std::string& label, const std::string& id, const std::string& usage) {
    hsm.run({"pkcs11-tool", "--module", SoftHsm::module_path(), "--token-label", "alice", "--login",
             "--pin", SoftHsm::kUserPin, "--keypairgen", "--key-type", "EC:prime256v1", "--id", id,
             "--label", label, usage});
  }
  // Every object on the token, public and private, as a count.
  std::size_t objects_on_token() {
    hsm.run({"pkcs11-tool", "--module", SoftHsm::module_path(), "--token-label", "alice", "--login",
             "--pin", SoftHsm::kUserPin, "--list-objects"});
    std::ifstream log(hsm.dir() / "tool.log");
    std::size_t n = 0;
    for (std::string line; std::getline(log, line);)
      if (line.find(" Object;") != std::string::npos) ++n;
    return n;
  }
};

TEST_F(CapabilitiesTest, SoftHsmOffersResidentSharesOnceSeen) {
  auto b = make_backend();
  ASSERT_TRUE(b->present());
  EXPECT_TRUE(b->capabilities().resident_shares);
}

TEST_F(CapabilitiesTest, AdoptedKeysAreCheckedForTheirPurpose) {
  keypairgen("card-enc", "a1", "--usage-derive");
  keypairgen("card-sig", "b2", "--usage-sign");
  auto b = make_backend();
  auto keys = b->list_keys();
  ASSERT_EQ(keys.size(), 2u);

  auto enc =
      b->adopt_key("pkcs11:token=alice;object=card-enc;type=private", KeyPurpose::encryption);
  EXPECT_EQ(enc.purpose, KeyPurpose::encryption);
  EXPECT_NE(enc.id.find("id=%A1"), std::string::npos) << enc.id;
  auto sig = b->adopt_key("pkcs11:object=card-sig", KeyPurpose::signing);
  EXPECT_EQ(sig.purpose, KeyPurpose::signing);

  // Our encryption keys cannot sign (pkcs11-tool's --usage-derive leaves SoftHSM2's default
  // CKA_SIGN true); a sign-only key cannot do ECDH (SoftHSM2 checks CKA_DERIVE).
  auto ours = b->generate_key("dev:encryption", KeyPurpose::encryption);
  EXPECT_NE(error_text([&] {
              b->adopt_key(ours.id, KeyPurpose::signing);
            }).find("cannot sign (CKA_SIGN is false)"),
            std::string::npos);
  EXPECT_NE(error_text([&] {
              b->adopt_key("pkcs11:object=card-sig", KeyPurpose::encryption);
            }).find("cannot do ECDH"),
            std::string::npos);
  EXPECT_EQ(backend_error_code([&] { b->adopt_key("pkcs11:object=nothing", KeyPurpose::signing); }),
            BackendErrc::no_such_key);
  // A PIV slot name on a token that is no PIV card: nothing in the slot, and the message says
  // what OpenSC needs before it shows a slot's key.
  std::string no_slot = error_text([&] { b->adopt_key("9d", KeyPurpose::encryption); });
  EXPECT_NE(no_slot.find("no key in PIV slot 9d"), std::string::npos) << no_slot;
}

class RefusingTokenTest : public CapabilitiesTest {
 protected:
  void SetUp() override {
    ::setenv("RECRYPT_PIN_COUNTER_TARGET", SoftHsm::module_path().c_str(), 1);
    CapabilitiesTest::SetUp();
  }
  void TearDown() override {
    ::unsetenv("RECRYPT_PIN_COUNTER_FAIL_GENERATION");
    ::unsetenv("RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE");
  }
};

TEST_F(RefusingTokenTest, AFailedGenerationLeavesNoObject) {
  ::setenv("RECRYPT_PIN_COUNTER_FAIL_GENERATION", "1", 1);
  auto b = make_backend("alice", RECRYPT_PIN_COUNTER_MODULE);
  std::string why = error_text([&] { b->generate_key("dev:encryption", KeyPurpose::encryption); });
  EXPECT_NE(why.find("C_GenerateKeyPair(EC P-256) on token 'alice'"), std::string::npos) << why;
  EXPECT_NE(why.find("CKR_GENERAL_ERROR"), std::string::npos) << why;
  b.reset();
  EXPECT_EQ(objects_on_token(), 0u);
}

TEST_F(RefusingTokenTest, AnAesKeyFromEcdhRefusedIsAResidentShareRefused) {
  ::setenv("RECRYPT_PIN_COUNTER_REFUSE_AES_DERIVE", "1", 1);
  auto b = make_backend("alice", RECRYPT_PIN_COUNTER_MODULE);
  auto dev = b->generate_key("dev:encryption", KeyPurpose::encryption);
  // The list offers what the import needs; only trying shows the refusal, which names its code.
  EXPECT_TRUE(b->capabilities().resident_shares);
  Scalar share = Scalar::random(Curve::p256());
  std::string why = error_text(
      [&] { b->import_share("share", pkcs11::wrap_share_for_pkcs11(dev.public_key, share)); });
  EXPECT_NE(why.find("CKR_ARGUMENTS_BAD"), std::string::npos) << why;
}

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

// The slot table against the two modules' numbering (docs/PKCS11.md, "Adopting keys").
TEST(PivSlots, NamesIdsAndLabelsFollowBothModules) {
  auto nine_d = pkcs11::piv_slot_named("9D");
  ASSERT_TRUE(nine_d);
  EXPECT_EQ(nine_d->ykcs11_id, 3);
  EXPECT_EQ(nine_d->opensc_label, "KEY MAN key");
  EXPECT_TRUE(nine_d->key_management);
  EXPECT_FALSE(pkcs11::piv_slot_named("9a")->key_management);
  // OpenSC's ids read like decimal: 87 is 0x10, 91 is 0x20, 95 is 0x24; ykcs11 counts on.
  EXPECT_EQ(pkcs11::piv_slot_named("86")->opensc_id, 0x09);
  EXPECT_EQ(pkcs11::piv_slot_named("87")->opensc_id, 0x10);
  EXPECT_EQ(pkcs11::piv_slot_named("87")->ykcs11_id, 10);
  EXPECT_EQ(pkcs11::piv_slot_named("91")->opensc_id, 0x20);
  EXPECT_EQ(pkcs11::piv_slot_named("95")->opensc_id, 0x24);
  EXPECT_EQ(pkcs11::piv_slot_named("95")->ykcs11_id, 24);
  EXPECT_EQ(pkcs11::piv_slot_of_label("Private key for Retired Key 20")->name, "95");
  EXPECT_EQ(pkcs11::piv_slot_of_label("Retired KEY MAN 1")->name, "82");
  EXPECT_FALSE(pkcs11::piv_slot_named("9b"));  // the management key is no key slot
  EXPECT_FALSE(pkcs11::piv_slot_named("96"));
  EXPECT_FALSE(pkcs11::piv_slot_of_label("recrypt-seal"));
}

}  // namespace
}  // namespace recrypt::testing
