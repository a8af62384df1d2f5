// The CK_RV mapping. SoftHSM2 never blocks a PIN (it has no retry counter), so the "locked"
// code cannot be provoked on a real token here; its mapping is checked directly.
#include <gtest/gtest.h>

#include "pkcs11/ck_error.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using pkcs11::rv_errc;

TEST(CkError, MapsReturnValuesToBackendErrors) {
  EXPECT_EQ(rv_errc(CKR_PIN_INCORRECT), BackendErrc::auth_failed);
  EXPECT_EQ(rv_errc(CKR_PIN_LOCKED), BackendErrc::locked);
  EXPECT_EQ(rv_errc(CKR_TOKEN_NOT_PRESENT), BackendErrc::not_present);
  EXPECT_EQ(rv_errc(CKR_DEVICE_REMOVED), BackendErrc::not_present);
  EXPECT_EQ(rv_errc(CKR_SESSION_HANDLE_INVALID), BackendErrc::not_present);
  EXPECT_EQ(rv_errc(CKR_SLOT_ID_INVALID), BackendErrc::not_present);
  EXPECT_EQ(rv_errc(CKR_KEY_HANDLE_INVALID), BackendErrc::no_such_key);
  EXPECT_EQ(rv_errc(CKR_FUNCTION_CANCELED), BackendErrc::cancelled);
  EXPECT_EQ(rv_errc(CKR_MECHANISM_INVALID), BackendErrc::unsupported);
  EXPECT_EQ(rv_errc(CKR_KEY_FUNCTION_NOT_PERMITTED), BackendErrc::unsupported);
  EXPECT_EQ(rv_errc(CKR_DEVICE_ERROR), BackendErrc::device);
  EXPECT_EQ(rv_errc(0x8000'1234UL), BackendErrc::device);
}

TEST(CkError, MessagesNameTheCallAndTheCode) {
  try {
    pkcs11::check_rv("C_Login to token 'alice'", CKR_PIN_LOCKED);
    FAIL();
  } catch (const pkcs11::Pkcs11Error& e) {
    EXPECT_EQ(e.code(), BackendErrc::locked);
    EXPECT_EQ(e.rv(), CKR_PIN_LOCKED);
    std::string m = e.what();
    EXPECT_NE(m.find("C_Login to token 'alice'"), std::string::npos);
    EXPECT_NE(m.find("CKR_PIN_LOCKED"), std::string::npos);
  }
  EXPECT_NO_THROW(pkcs11::check_rv("x", CKR_OK));
  EXPECT_EQ(pkcs11::rv_name(0x8000'1234UL), "CKR_0x80001234");
}

}  // namespace
}  // namespace recrypt::testing
