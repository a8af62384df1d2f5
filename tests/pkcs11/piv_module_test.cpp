// The PIV test module's own rules (piv_module/module.cpp lists them): each test makes a fresh
// SoftHSM2 token, puts keys in PIV slots on it directly (as piv_card.sh does), loads the module
// over it in one flavour and asserts the exact CK_RV the real module gives.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "protocol/jws.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"
#include "softhsm_fixture.hpp"

namespace recrypt::testing {
namespace {

constexpr const char* kPin = "123456";  // a PIV PIN has 6 to 8 characters for ykcs11
constexpr CK_BBOOL kYes = CK_TRUE;
constexpr CK_BBOOL kNo = CK_FALSE;
const Bytes kP256Oid = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

// CK_ATTRIBUTE wants non-const pointers; the module never writes through these.
template <class T>
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, const T& value) {
  return {type, const_cast<T*>(&value), sizeof value};
}
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, const Bytes& value) {
  return {type, const_cast<uint8_t*>(value.data()), value.size()};
}
CK_ATTRIBUTE attr(CK_ATTRIBUTE_TYPE type, const std::string& value) {
  return {type, const_cast<char*>(value.data()), value.size()};
}

CK_FUNCTION_LIST* load(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return nullptr;
  auto get = reinterpret_cast<CK_C_GetFunctionList>(::dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* list = nullptr;
  return get != nullptr && get(&list) == CKR_OK ? list : nullptr;
}

std::string field(const CK_UTF8CHAR* f, size_t size) {
  std::string s(reinterpret_cast<const char*>(f), size);
  return s.erase(s.find_last_not_of(' ') + 1);
}

class PivModuleTest : public ::testing::Test {
 protected:
  // The card: keys in 9d (id 03, derive), 9a (01, sign), 9c (02, sign), and objects no card
  // module shows: an id 0a key (a slot for ykcs11 only), a key with a 16-byte id, an AES key.
  // Then a session on it through the module in `flavour`, not logged in.
  void start(const char* flavour, bool ecdh = true) {
    ::setenv("RECRYPT_PIV_FLAVOUR", flavour, 1);
    if (ecdh)
      ::unsetenv("RECRYPT_PIV_NO_ECDH");
    else
      ::setenv("RECRYPT_PIV_NO_ECDH", "1", 1);
    hsm.init_token("card", kPin);
    card = load(RECRYPT_PIV_MODULE);
    ASSERT_NE(card, nullptr);
    ASSERT_EQ(card->C_Initialize(nullptr), CKR_OK);
    soft = load(SoftHsm::module_path());  // the same SoftHSM2 the module loaded
    ASSERT_NE(soft, nullptr);
    CK_SLOT_ID slots[8];
    CK_ULONG n = 8;
    ASSERT_EQ(card->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
    ASSERT_EQ(n, 1u);  // the spare uninitialised token is no card
    slot = slots[0];

    CK_SESSION_HANDLE raw = 0;
    ASSERT_EQ(
        soft->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &raw),
        CKR_OK);
    ASSERT_EQ(soft->C_Login(raw, CKU_USER, pin(kPin), 6), CKR_OK);
    put_key(raw, {0x03}, false);
    put_key(raw, {0x01}, true);
    put_key(raw, {0x02}, true);
    put_key(raw, {0x0a}, false);
    put_key(raw, Bytes(16, 0x8c), false);
    CK_MECHANISM aes_gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_ULONG len = 32;
    Bytes id{0x03};
    CK_ATTRIBUTE aes[] = {attr(CKA_TOKEN, kYes), attr(CKA_VALUE_LEN, len), attr(CKA_ID, id)};
    CK_OBJECT_HANDLE h = 0;
    ASSERT_EQ(soft->C_GenerateKey(raw, &aes_gen, aes, 3, &h), CKR_OK);
    ASSERT_EQ(soft->C_CloseSession(raw), CKR_OK);
    ASSERT_EQ(card->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s),
              CKR_OK);
  }

  void TearDown() override {
    if (card != nullptr) card->C_Finalize(nullptr);
    ::unsetenv("RECRYPT_PIV_FLAVOUR");
    ::unsetenv("RECRYPT_PIV_NO_ECDH");
  }

  // Ends this card, for a test that tries both flavours on fresh tokens.
  void next_card() {
    TearDown();
    card = nullptr;
    hsm.unplug();
  }

  static CK_UTF8CHAR_PTR pin(const char* p) {
    return reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(p));
  }
  CK_RV login(const char* p = kPin, CK_USER_TYPE user = CKU_USER) {
    return card->C_Login(s, user, pin(p), std::strlen(p));
  }

  void put_key(CK_SESSION_HANDLE raw, const Bytes& id, bool sign) {
    CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
    std::string label = "on the token";
    CK_BBOOL derive = sign ? CK_FALSE : CK_TRUE, sig = sign ? CK_TRUE : CK_FALSE;
    CK_ATTRIBUTE pub[] = {attr(CKA_TOKEN, kYes), attr(CKA_EC_PARAMS, kP256Oid), attr(CKA_ID, id),
                          attr(CKA_LABEL, label), attr(CKA_VERIFY, kYes)};
    CK_ATTRIBUTE priv[] = {attr(CKA_TOKEN, kYes),     attr(CKA_PRIVATE, kYes),
                           attr(CKA_SENSITIVE, kYes), attr(CKA_EXTRACTABLE, kNo),
                           attr(CKA_ID, id),          attr(CKA_LABEL, label),
                           attr(CKA_SIGN, sig),       attr(CKA_DERIVE, derive)};
    CK_OBJECT_HANDLE a = 0, b = 0;
    ASSERT_EQ(
        soft->C_GenerateKeyPair(raw, &gen, pub, std::size(pub), priv, std::size(priv), &a, &b),
        CKR_OK);
  }

  std::vector<CK_OBJECT_HANDLE> find(std::vector<CK_ATTRIBUTE> tmpl) {
    std::vector<CK_OBJECT_HANDLE> out;
    EXPECT_EQ(card->C_FindObjectsInit(s, tmpl.data(), tmpl.size()), CKR_OK);
    CK_OBJECT_HANDLE h[4];
    CK_ULONG n = 0;
    while (card->C_FindObjects(s, h, 4, &n) == CKR_OK && n > 0) out.insert(out.end(), h, h + n);
    EXPECT_EQ(card->C_FindObjectsFinal(s), CKR_OK);
    return out;
  }
  CK_OBJECT_HANDLE key(CK_OBJECT_CLASS cls, uint8_t id) {
    Bytes want{id};
    auto found = find({attr(CKA_CLASS, cls), attr(CKA_ID, want)});
    EXPECT_EQ(found.size(), 1u) << "class " << cls << " id " << int(id);
    return found.empty() ? CK_INVALID_HANDLE : found[0];
  }

  Bytes value(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type) {
    CK_ATTRIBUTE a{type, nullptr, 0};
    EXPECT_EQ(card->C_GetAttributeValue(s, h, &a, 1), CKR_OK) << "attribute " << type;
    Bytes v(a.ulValueLen);
    a.pValue = v.data();
    EXPECT_EQ(card->C_GetAttributeValue(s, h, &a, 1), CKR_OK);
    return v;
  }
  std::string label(CK_OBJECT_HANDLE h) {
    Bytes v = value(h, CKA_LABEL);
    return std::string(v.begin(), v.end());
  }
  bool flag(CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type) { return value(h, type) == Bytes{kYes}; }

  // The slot key's public point, from its public-key object (DER OCTET STRING 04 41 04...).
  Point public_point(uint8_t id) {
    Bytes der = value(key(CKO_PUBLIC_KEY, id), CKA_EC_POINT);
    return Point::from_uncompressed(Curve::p256(), ByteView(der).subspan(2));
  }

  // C_DeriveKey with CKM_ECDH1_DERIVE on `base` against `peer`, into a secret of `type`.
  CK_RV derive(CK_OBJECT_HANDLE base, const Bytes& peer, CK_OBJECT_HANDLE* out,
               CK_KEY_TYPE type = CKK_GENERIC_SECRET, CK_ULONG kdf = CKD_NULL,
               CK_BBOOL token = CK_FALSE, CK_FUNCTION_LIST* via = nullptr) {
    CK_ECDH1_DERIVE_PARAMS params{kdf, 0, nullptr, peer.size(), const_cast<uint8_t*>(peer.data())};
    CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = {attr(CKA_CLASS, cls), attr(CKA_KEY_TYPE, type), attr(CKA_TOKEN, token),
                           attr(CKA_EXTRACTABLE, kYes), attr(CKA_SENSITIVE, kNo)};
    return (via != nullptr ? via : card)->C_DeriveKey(s, &mech, base, tmpl, std::size(tmpl), out);
  }

  std::vector<CK_MECHANISM_TYPE> mechanisms() {
    CK_ULONG n = 0;
    EXPECT_EQ(card->C_GetMechanismList(slot, nullptr, &n), CKR_OK);
    std::vector<CK_MECHANISM_TYPE> out(n);
    EXPECT_EQ(card->C_GetMechanismList(slot, out.data(), &n), CKR_OK);
    return out;
  }

  // C_SetAttributeValue, C_CopyObject and C_DestroyObject on a slot key are refused as
  // unsupported, and the key is as it was.
  void expect_frozen(CK_OBJECT_HANDLE k, const std::string& shown) {
    std::string name = "renamed";
    CK_ATTRIBUTE rename[] = {attr(CKA_LABEL, name)};
    EXPECT_EQ(card->C_SetAttributeValue(s, k, rename, 1), CKR_FUNCTION_NOT_SUPPORTED);
    CK_OBJECT_HANDLE copy = 0;
    EXPECT_EQ(card->C_CopyObject(s, k, rename, 1, &copy), CKR_FUNCTION_NOT_SUPPORTED);
    EXPECT_EQ(card->C_DestroyObject(s, k), CKR_FUNCTION_NOT_SUPPORTED);
    EXPECT_EQ(label(k), shown);
  }

  SoftHsm hsm;
  CK_FUNCTION_LIST* card = nullptr;  // the module
  CK_FUNCTION_LIST* soft = nullptr;  // SoftHSM2 itself: the card's insides
  CK_SLOT_ID slot = 0;
  CK_SESSION_HANDLE s = 0;
};

TEST_F(PivModuleTest, Ykcs11ShowsOnlyKeysInSlotsWithItsLabels) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  auto all = find({});
  std::set<std::string> labels;
  for (CK_OBJECT_HANDLE h : all) labels.insert(label(h));
  // id 0a is ykcs11's tenth slot, 87 (Retired Key 6); the 16-byte id and the AES key are not
  // there.
  EXPECT_EQ(labels, (std::set<std::string>{
                        "Private key for Key Management", "Public key for Key Management",
                        "Private key for PIV Authentication", "Public key for PIV Authentication",
                        "Private key for Digital Signature", "Public key for Digital Signature",
                        "Private key for Retired Key 6", "Public key for Retired Key 6"}));
  EXPECT_EQ(all.size(), 8u);
}

TEST_F(PivModuleTest, OpenscShowsOnlyKeysInSlotsWithItsLabels) {
  start("opensc");
  ASSERT_EQ(login(), CKR_OK);
  auto all = find({});
  std::set<std::string> labels;
  for (CK_OBJECT_HANDLE h : all) labels.insert(label(h));
  // OpenSC numbers 87 as 10, so id 0a names no slot.
  EXPECT_EQ(labels, (std::set<std::string>{"KEY MAN key", "KEY MAN pubkey", "PIV AUTH key",
                                           "PIV AUTH pubkey", "SIGN key", "SIGN pubkey"}));
  EXPECT_EQ(all.size(), 6u);
}
TEST_F(PivModuleTest, SearchesByTheShownLabel) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  std::string shown = "Private key for Key Management", underlying = "on the token";
  auto found = find({attr(CKA_LABEL, shown)});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(value(found[0], CKA_ID), Bytes{0x03});
  EXPECT_TRUE(find({attr(CKA_LABEL, underlying)}).empty());
  // A search on a reported attribute matches what is reported: no key derives in ykcs11.
  EXPECT_TRUE(find({attr(CKA_DERIVE, kYes)}).empty());
}

TEST_F(PivModuleTest, Ykcs11KeysReadNoDeriveAndNineCAlwaysAuthenticates) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03);
  EXPECT_FALSE(flag(km, CKA_DERIVE));  // though C_DeriveKey works on it
  EXPECT_TRUE(flag(km, CKA_SIGN));
  EXPECT_TRUE(flag(km, CKA_SENSITIVE));
  EXPECT_FALSE(flag(km, CKA_EXTRACTABLE));
  EXPECT_FALSE(flag(km, CKA_MODIFIABLE));
  EXPECT_FALSE(flag(km, CKA_ALWAYS_AUTHENTICATE));
  EXPECT_TRUE(flag(key(CKO_PRIVATE_KEY, 0x02), CKA_ALWAYS_AUTHENTICATE));
  EXPECT_FALSE(flag(key(CKO_PRIVATE_KEY, 0x01), CKA_ALWAYS_AUTHENTICATE));
}

TEST_F(PivModuleTest, OpenscKeyManagementDerivesOnlyAndNineCAlwaysAuthenticates) {
  start("opensc");
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03);
  EXPECT_TRUE(flag(km, CKA_DERIVE));
  EXPECT_FALSE(flag(km, CKA_SIGN));
  EXPECT_TRUE(flag(km, CKA_SENSITIVE));
  EXPECT_FALSE(flag(km, CKA_EXTRACTABLE));
  EXPECT_FALSE(flag(km, CKA_MODIFIABLE));
  CK_OBJECT_HANDLE auth = key(CKO_PRIVATE_KEY, 0x01);
  EXPECT_TRUE(flag(auth, CKA_SIGN));
  EXPECT_FALSE(flag(auth, CKA_DERIVE));
  EXPECT_TRUE(flag(key(CKO_PRIVATE_KEY, 0x02), CKA_ALWAYS_AUTHENTICATE));
}

TEST_F(PivModuleTest, Ykcs11KeysAreNeitherChangedCopiedNorDestroyed) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  expect_frozen(key(CKO_PRIVATE_KEY, 0x03), "Private key for Key Management");
}

TEST_F(PivModuleTest, OpenscKeysAreNeitherChangedCopiedNorDestroyed) {
  start("opensc");
  ASSERT_EQ(login(), CKR_OK);
  expect_frozen(key(CKO_PRIVATE_KEY, 0x03), "KEY MAN key");
}

// --- Mechanisms and key generation ------------------------------------------------------------

TEST_F(PivModuleTest, Ykcs11ListsGenerationButOnlyForTheManagementKey) {
  start("ykcs11");
  EXPECT_EQ(mechanisms(),
            (std::vector<CK_MECHANISM_TYPE>{CKM_EC_KEY_PAIR_GEN, CKM_ECDSA, CKM_ECDSA_SHA1,
                                            CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384,
                                            CKM_ECDSA_SHA512, CKM_ECDH1_DERIVE, CKM_SHA_1,
                                            CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512}));
  CK_MECHANISM_INFO info{};
  ASSERT_EQ(card->C_GetMechanismInfo(slot, CKM_ECDSA, &info), CKR_OK);
  EXPECT_NE(info.flags & CKF_EC_F_P, 0u);
  ASSERT_EQ(login(), CKR_OK);
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_ATTRIBUTE pub[] = {attr(CKA_EC_PARAMS, kP256Oid)};
  CK_OBJECT_HANDLE a = 0, b = 0;
  EXPECT_EQ(card->C_GenerateKeyPair(s, &gen, pub, 1, nullptr, 0, &a, &b), CKR_USER_TYPE_INVALID);
}

TEST_F(PivModuleTest, OpenscCannotGenerateKeys) {
  start("opensc");
  EXPECT_EQ(mechanisms(),
            (std::vector<CK_MECHANISM_TYPE>{CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224,
                                            CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512,
                                            CKM_ECDH1_COFACTOR_DERIVE, CKM_ECDH1_DERIVE, CKM_SHA_1,
                                            CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512}));
  CK_MECHANISM_INFO info{};
  EXPECT_EQ(card->C_GetMechanismInfo(slot, CKM_EC_KEY_PAIR_GEN, &info), CKR_MECHANISM_INVALID);
  ASSERT_EQ(card->C_GetMechanismInfo(slot, CKM_ECDSA, &info), CKR_OK);
  EXPECT_EQ(info.flags & CKF_EC_F_P, 0u);
  ASSERT_EQ(login(), CKR_OK);
  CK_MECHANISM gen{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_ATTRIBUTE pub[] = {attr(CKA_EC_PARAMS, kP256Oid)};
  CK_OBJECT_HANDLE a = 0, b = 0;
  EXPECT_EQ(card->C_GenerateKeyPair(s, &gen, pub, 1, nullptr, 0, &a, &b),
            CKR_FUNCTION_NOT_SUPPORTED);
}

TEST_F(PivModuleTest, NoAesMechanism) {
  start("ykcs11");
  CK_MECHANISM_INFO info{};
  for (CK_MECHANISM_TYPE m :
       {CKM_AES_KEY_WRAP_PAD, CKM_AES_GCM, CKM_AES_KEY_GEN, CKM_GENERIC_SECRET_KEY_GEN})
    EXPECT_EQ(card->C_GetMechanismInfo(slot, m, &info), CKR_MECHANISM_INVALID) << m;
}

TEST_F(PivModuleTest, CardWithoutEcdh) {
  for (const char* flavour : {"ykcs11", "opensc"}) {
    SCOPED_TRACE(flavour);
    start(flavour, false);
    auto list = mechanisms();
    EXPECT_EQ(std::count(list.begin(), list.end(), CKM_ECDH1_DERIVE), 0);
    EXPECT_EQ(std::count(list.begin(), list.end(), CKM_ECDH1_COFACTOR_DERIVE), 0);
    ASSERT_EQ(login(), CKR_OK);
    CK_OBJECT_HANDLE secret = 0;
    EXPECT_EQ(derive(key(CKO_PRIVATE_KEY, 0x03), Point::generator(Curve::p256()).to_uncompressed(),
                     &secret),
              CKR_MECHANISM_INVALID);
    next_card();
  }
}

// --- ECDH -------------------------------------------------------------------------------------

TEST_F(PivModuleTest, EcdhGivesTheXOfTheSharedPointInBothFlavours) {
  for (const char* flavour : {"ykcs11", "opensc"}) {
    SCOPED_TRACE(flavour);
    start(flavour);
    ASSERT_EQ(login(), CKR_OK);
    Scalar t = Scalar::random(Curve::p256());
    Bytes peer = t.public_point().to_uncompressed();
    CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03), secret = 0, direct = 0;
    ASSERT_EQ(derive(km, peer, &secret), CKR_OK);
    Bytes x = value(secret, CKA_VALUE);
    EXPECT_EQ(x, public_point(0x03).times(t).x_bytes());  // t·D, computed by OpenSSL
    // ... and what SoftHSM2 underneath computes itself.
    ASSERT_EQ(derive(km, peer, &direct, CKK_GENERIC_SECRET, CKD_NULL, CK_FALSE, soft), CKR_OK);
    CK_ATTRIBUTE v{CKA_VALUE, nullptr, 0};
    ASSERT_EQ(soft->C_GetAttributeValue(s, direct, &v, 1), CKR_OK);
    Bytes underneath(v.ulValueLen);
    v.pValue = underneath.data();
    ASSERT_EQ(soft->C_GetAttributeValue(s, direct, &v, 1), CKR_OK);
    EXPECT_EQ(x, underneath);
    EXPECT_EQ(x.size(), 32u);
    // The card shows its own result, not a secret made on the token beneath it.
    CK_ATTRIBUTE cls{CKA_CLASS, nullptr, 0};
    EXPECT_EQ(card->C_GetAttributeValue(s, direct, &cls, 1), CKR_OBJECT_HANDLE_INVALID);
    next_card();
  }
}

TEST_F(PivModuleTest, Ykcs11EcdhRules) {
  start("ykcs11");
  Bytes peer = Scalar::random(Curve::p256()).public_point().to_uncompressed();
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03), secret = 0;
  Bytes der = {0x04, 0x41};  // the point as a DER OCTET STRING
  der.insert(der.end(), peer.begin(), peer.end());
  EXPECT_EQ(derive(km, der, &secret), CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(derive(km, peer, &secret, CKK_GENERIC_SECRET, CKD_SHA256_KDF),
            CKR_MECHANISM_PARAM_INVALID);
  EXPECT_EQ(derive(km, peer, &secret, CKK_AES), CKR_ATTRIBUTE_VALUE_INVALID);
  EXPECT_EQ(derive(km, peer, &secret, CKK_GENERIC_SECRET, CKD_NULL, CK_TRUE),
            CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ECDH1_DERIVE_PARAMS shared{CKD_NULL, 4, peer.data(), peer.size(), peer.data()};
  CK_MECHANISM with_shared{CKM_ECDH1_DERIVE, &shared, sizeof shared};
  EXPECT_EQ(card->C_DeriveKey(s, &with_shared, km, nullptr, 0, &secret),
            CKR_MECHANISM_PARAM_INVALID);
  // The public half is no base key.
  EXPECT_EQ(derive(key(CKO_PUBLIC_KEY, 0x03), peer, &secret), CKR_KEY_HANDLE_INVALID);
  // The card refuses without the PIN; ykcs11 says so as a failed function.
  ASSERT_EQ(card->C_Logout(s), CKR_OK);
  EXPECT_EQ(derive(km, peer, &secret), CKR_FUNCTION_FAILED);
}

TEST_F(PivModuleTest, OpenscEcdhRules) {
  start("opensc");
  Bytes peer = Scalar::random(Curve::p256()).public_point().to_uncompressed();
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03), secret = 0;
  ASSERT_EQ(derive(km, peer, &secret, CKK_AES), CKR_OK);  // any secret type will do
  EXPECT_EQ(value(secret, CKA_VALUE).size(), 32u);
  EXPECT_FALSE(flag(secret, CKA_EXTRACTABLE));  // yet its value is read
  // 9a reads no CKA_DERIVE.
  EXPECT_EQ(derive(key(CKO_PRIVATE_KEY, 0x01), peer, &secret), CKR_KEY_TYPE_INCONSISTENT);
  Bytes der = {0x04, 0x41};
  der.insert(der.end(), peer.begin(), peer.end());
  EXPECT_EQ(derive(km, der, &secret), CKR_DATA_INVALID);  // the card refuses it
  EXPECT_EQ(derive(km, peer, &secret, CKK_GENERIC_SECRET, CKD_NULL, CK_TRUE),
            CKR_FUNCTION_NOT_SUPPORTED);
  CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, peer.size(), peer.data()};
  CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_ATTRIBUTE no_type[] = {attr(CKA_CLASS, cls)};
  EXPECT_EQ(card->C_DeriveKey(s, &mech, km, no_type, 1, &secret), CKR_TEMPLATE_INCOMPLETE);
  ASSERT_EQ(card->C_Logout(s), CKR_OK);
  EXPECT_EQ(derive(km, peer, &secret), CKR_USER_NOT_LOGGED_IN);
}

// --- No secret-key crypto ---------------------------------------------------------------------

TEST_F(PivModuleTest, Ykcs11HasNoSecretKeyOperations) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03), secret = 0, out = 0;
  ASSERT_EQ(derive(km, Scalar::random(Curve::p256()).public_point().to_uncompressed(), &secret),
            CKR_OK);
  EXPECT_EQ(label(secret), "Generic secret key");
  CK_MECHANISM kwp{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  Bytes wrapped(40, 1);
  CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY, private_class = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE as_secret[] = {attr(CKA_CLASS, secret_class)};
  EXPECT_EQ(card->C_UnwrapKey(s, &kwp, secret, wrapped.data(), wrapped.size(), as_secret, 1, &out),
            CKR_FUNCTION_NOT_SUPPORTED);
  CK_ULONG len = wrapped.size();
  EXPECT_EQ(card->C_WrapKey(s, &kwp, secret, secret, wrapped.data(), &len),
            CKR_FUNCTION_NOT_SUPPORTED);
  CK_MECHANISM aes_gen{CKM_AES_KEY_GEN, nullptr, 0};
  EXPECT_EQ(card->C_GenerateKey(s, &aes_gen, nullptr, 0, &out), CKR_FUNCTION_NOT_SUPPORTED);
  Bytes key_bytes(32, 7);
  CK_KEY_TYPE aes = CKK_AES;
  CK_ATTRIBUTE import_secret[] = {attr(CKA_CLASS, secret_class), attr(CKA_KEY_TYPE, aes),
                                  attr(CKA_VALUE, key_bytes)};
  EXPECT_EQ(card->C_CreateObject(s, import_secret, 3, &out), CKR_ATTRIBUTE_VALUE_INVALID);
  CK_ATTRIBUTE import_private[] = {attr(CKA_CLASS, private_class)};
  EXPECT_EQ(card->C_CreateObject(s, import_private, 1, &out), CKR_ATTRIBUTE_VALUE_INVALID);
  CK_MECHANISM ecb{CKM_AES_ECB, nullptr, 0};
  EXPECT_EQ(card->C_EncryptInit(s, &ecb, secret), CKR_MECHANISM_INVALID);
  EXPECT_EQ(card->C_DecryptInit(s, &ecb, secret), CKR_MECHANISM_INVALID);
}

TEST_F(PivModuleTest, OpenscHasNoSecretKeyMechanisms) {
  start("opensc");
  ASSERT_EQ(login(), CKR_OK);
  CK_OBJECT_HANDLE km = key(CKO_PRIVATE_KEY, 0x03), secret = 0, out = 0;
  ASSERT_EQ(derive(km, Scalar::random(Curve::p256()).public_point().to_uncompressed(), &secret),
            CKR_OK);
  CK_MECHANISM kwp{CKM_AES_KEY_WRAP_PAD, nullptr, 0};
  Bytes wrapped(40, 1);
  CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
  CK_ATTRIBUTE as_secret[] = {attr(CKA_CLASS, secret_class)};
  // An EC key does not unwrap; a secret one would need AES, which the card lacks.
  EXPECT_EQ(card->C_UnwrapKey(s, &kwp, km, wrapped.data(), wrapped.size(), as_secret, 1, &out),
            CKR_KEY_TYPE_INCONSISTENT);
  EXPECT_EQ(card->C_UnwrapKey(s, &kwp, secret, wrapped.data(), wrapped.size(), as_secret, 1, &out),
            CKR_MECHANISM_INVALID);
  CK_MECHANISM aes_gen{CKM_AES_KEY_GEN, nullptr, 0};
  EXPECT_EQ(card->C_GenerateKey(s, &aes_gen, nullptr, 0, &out), CKR_MECHANISM_INVALID);
  // A secret key may live in the session, never on the card, and still cannot encrypt.
  Bytes key_bytes(32, 7);
  CK_KEY_TYPE aes = CKK_AES;
  CK_ATTRIBUTE on_card[] = {attr(CKA_CLASS, secret_class), attr(CKA_KEY_TYPE, aes),
                            attr(CKA_VALUE, key_bytes), attr(CKA_TOKEN, kYes)};
  EXPECT_EQ(card->C_CreateObject(s, on_card, 4, &out), CKR_FUNCTION_NOT_SUPPORTED);
  ASSERT_EQ(card->C_CreateObject(s, on_card, 3, &out), CKR_OK);
  CK_MECHANISM ecb{CKM_AES_ECB, nullptr, 0};
  EXPECT_EQ(card->C_EncryptInit(s, &ecb, out), CKR_MECHANISM_INVALID);
  EXPECT_EQ(card->C_DecryptInit(s, &ecb, out), CKR_MECHANISM_INVALID);
}

// --- PIN --------------------------------------------------------------------------------------

TEST_F(PivModuleTest, PinLocksAfterThreeTriesEvenForTheRightPin) {
  for (const char* flavour : {"ykcs11", "opensc"}) {
    SCOPED_TRACE(flavour);
    start(flavour);
    bool ykcs11 = std::string(flavour) == "ykcs11";
    CK_FLAGS counter = CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED;
    auto flags = [&] {
      CK_TOKEN_INFO info{};
      EXPECT_EQ(card->C_GetTokenInfo(slot, &info), CKR_OK);
      return info.flags & counter;
    };
    EXPECT_EQ(flags(), 0u);
    EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
    EXPECT_EQ(flags(), ykcs11 ? CKF_USER_PIN_COUNT_LOW : 0u);  // OpenSC never says COUNT_LOW
    EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
    EXPECT_EQ(flags(), CKF_USER_PIN_FINAL_TRY);
    EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
    EXPECT_EQ(flags(), CKF_USER_PIN_LOCKED);
    EXPECT_EQ(login(kPin), CKR_PIN_LOCKED);
    next_card();
  }
}

TEST_F(PivModuleTest, AGoodPinResetsTheCounter) {
  start("ykcs11");
  EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
  EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
  EXPECT_EQ(login(), CKR_OK);
  ASSERT_EQ(card->C_Logout(s), CKR_OK);
  EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
  EXPECT_EQ(login("654321"), CKR_PIN_INCORRECT);
  EXPECT_EQ(login(), CKR_OK);
}

TEST_F(PivModuleTest, Ykcs11PinHasSixToEightCharacters) {
  start("ykcs11");
  EXPECT_EQ(login("12345"), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(login("123456789"), CKR_ARGUMENTS_BAD);
  EXPECT_EQ(login("1234567"), CKR_PIN_INCORRECT);
}

TEST_F(PivModuleTest, OpenscPinHasFourToEightCharacters) {
  start("opensc");
  EXPECT_EQ(login("123"), CKR_PIN_LEN_RANGE);
  EXPECT_EQ(login("123456789"), CKR_PIN_LEN_RANGE);
  EXPECT_EQ(login("1234"), CKR_PIN_INCORRECT);
}

// --- Signatures -------------------------------------------------------------------------------

TEST_F(PivModuleTest, SigningNeedsTheUser) {
  for (const char* flavour : {"ykcs11", "opensc"}) {
    SCOPED_TRACE(flavour);
    start(flavour);
    ASSERT_EQ(login(), CKR_OK);
    CK_OBJECT_HANDLE auth = key(CKO_PRIVATE_KEY, 0x01);
    ASSERT_EQ(card->C_Logout(s), CKR_OK);
    CK_MECHANISM ecdsa{CKM_ECDSA_SHA256, nullptr, 0};
    EXPECT_EQ(card->C_SignInit(s, &ecdsa, auth), CKR_USER_NOT_LOGGED_IN);
    next_card();
  }
}

TEST_F(PivModuleTest, DigitalSignatureKeyNeedsThePinForEverySignature) {
  for (const char* flavour : {"ykcs11", "opensc"}) {
    SCOPED_TRACE(flavour);
    start(flavour);
    ASSERT_EQ(login(), CKR_OK);
    CK_OBJECT_HANDLE sig_key = key(CKO_PRIVATE_KEY, 0x02);
    Point pub = public_point(0x02);
    Bytes msg = {'r', 'e', 'q'}, sig(64);
    CK_ULONG len = sig.size();
    CK_MECHANISM ecdsa{CKM_ECDSA_SHA256, nullptr, 0};

    ASSERT_EQ(card->C_SignInit(s, &ecdsa, sig_key), CKR_OK);
    EXPECT_EQ(card->C_Sign(s, msg.data(), msg.size(), sig.data(), &len), CKR_USER_NOT_LOGGED_IN);
    // The refused signature ended the operation; with the PIN given again it goes through.
    ASSERT_EQ(card->C_SignInit(s, &ecdsa, sig_key), CKR_OK);
    EXPECT_EQ(login("654321", CKU_CONTEXT_SPECIFIC), CKR_PIN_INCORRECT);
    ASSERT_EQ(login(kPin, CKU_CONTEXT_SPECIFIC), CKR_OK);
    ASSERT_EQ(card->C_Sign(s, msg.data(), msg.size(), sig.data(), &len), CKR_OK);
    EXPECT_TRUE(jws::verify_es256(pub, msg, Bytes(sig.begin(), sig.begin() + len)));
    // The next signature needs it again.
    ASSERT_EQ(card->C_SignInit(s, &ecdsa, sig_key), CKR_OK);
    len = sig.size();
    EXPECT_EQ(card->C_Sign(s, msg.data(), msg.size(), sig.data(), &len), CKR_USER_NOT_LOGGED_IN);
    // 9a signs on the user's login alone.
    ASSERT_EQ(card->C_SignInit(s, &ecdsa, key(CKO_PRIVATE_KEY, 0x01)), CKR_OK);
    len = sig.size();
    EXPECT_EQ(card->C_Sign(s, msg.data(), msg.size(), sig.data(), &len), CKR_OK);
    next_card();
  }
}

TEST_F(PivModuleTest, Ykcs11TakesAContextLoginOnlyDuringASignature) {
  start("ykcs11");
  ASSERT_EQ(login(), CKR_OK);
  EXPECT_EQ(login(kPin, CKU_CONTEXT_SPECIFIC), CKR_USER_TYPE_INVALID);
}

// --- Token ------------------------------------------------------------------------------------

TEST_F(PivModuleTest, Ykcs11DescribesAYubiKey) {
  start("ykcs11");
  CK_TOKEN_INFO info{}, underneath{};
  ASSERT_EQ(card->C_GetTokenInfo(slot, &info), CKR_OK);
  ASSERT_EQ(soft->C_GetTokenInfo(slot, &underneath), CKR_OK);
  std::string serial = field(info.serialNumber, sizeof info.serialNumber);
  std::string hex = field(underneath.serialNumber, sizeof underneath.serialNumber);
  EXPECT_EQ(serial, std::to_string(std::stoul(hex.substr(hex.size() - 8), nullptr, 16)));
  EXPECT_EQ(field(info.label, sizeof info.label), "YubiKey PIV #" + serial);
  EXPECT_EQ(field(info.manufacturerID, sizeof info.manufacturerID), "Yubico (www.yubico.com)");
  EXPECT_EQ(field(info.model, sizeof info.model), "YubiKey YK5");
  EXPECT_EQ(info.flags,
            CKF_LOGIN_REQUIRED | CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED);
}

TEST_F(PivModuleTest, OpenscDescribesAPivCard) {
  start("opensc");
  CK_TOKEN_INFO info{}, underneath{};
  ASSERT_EQ(card->C_GetTokenInfo(slot, &info), CKR_OK);
  ASSERT_EQ(soft->C_GetTokenInfo(slot, &underneath), CKR_OK);
  EXPECT_EQ(field(info.label, sizeof info.label), "PIV_II");
  EXPECT_EQ(field(info.model, sizeof info.model), "PIV-II");
  EXPECT_EQ(field(info.serialNumber, sizeof info.serialNumber),
            field(underneath.serialNumber, sizeof underneath.serialNumber));
  EXPECT_EQ(info.flags,
            CKF_LOGIN_REQUIRED | CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED);
}

}  // namespace
}  // namespace recrypt::testing
