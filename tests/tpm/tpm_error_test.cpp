// check_rc: every TSS2_RC class maps to the backend error a caller can act on.
#include <gtest/gtest.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdlib>

#include "tpm/esys_context.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;

BackendErrc code_of(TSS2_RC rc, std::string* message = nullptr) {
  try {
    tpm::check_rc("TPM2_Test", rc);
  } catch (const tpm::TpmError& e) {
    if (message) *message = e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error for " << rc;
  return BackendErrc::device;
}

TEST(TpmErrors, SuccessDoesNotThrow) { EXPECT_NO_THROW(tpm::check_rc("x", TSS2_RC_SUCCESS)); }

TEST(TpmErrors, AuthFailuresAreAuthFailedWhateverTheSessionNumber) {
  EXPECT_EQ(code_of(TPM2_RC_AUTH_FAIL | TPM2_RC_S | TPM2_RC_1), BackendErrc::auth_failed);
  EXPECT_EQ(code_of(TPM2_RC_BAD_AUTH | TPM2_RC_S | TPM2_RC_2), BackendErrc::auth_failed);
}

TEST(TpmErrors, LockoutIsLockedAndSaysWhatToDo) {
  std::string msg;
  EXPECT_EQ(code_of(TPM2_RC_LOCKOUT, &msg), BackendErrc::locked);
  EXPECT_NE(msg.find("tpm2_dictionarylockout"), std::string::npos) << msg;
  EXPECT_NE(msg.find("TPM2_Test"), std::string::npos) << msg;
}

TEST(TpmErrors, TransportFailuresAreNotPresentAndLoseTheConnection) {
  std::string msg;
  const TSS2_RC io = TSS2_TCTI_RC_LAYER | TSS2_BASE_RC_IO_ERROR;
  EXPECT_EQ(code_of(io, &msg), BackendErrc::not_present);
  try {
    tpm::check_rc("x", io);
  } catch (const tpm::TpmError& e) {
    EXPECT_TRUE(e.transport_lost());
    EXPECT_FALSE(e.handles_lost());
  }
  EXPECT_EQ(code_of(TSS2_ESAPI_RC_LAYER | TSS2_BASE_RC_NO_CONNECTION), BackendErrc::not_present);
}

TEST(TpmErrors, StaleHandlesAreRecognised) {
  try {
    tpm::check_rc("x", TPM2_RC_REFERENCE_H0);
  } catch (const tpm::TpmError& e) {
    EXPECT_TRUE(e.handles_lost());
    EXPECT_EQ(e.code(), BackendErrc::device);
  }
  try {
    tpm::check_rc("x", TPM2_RC_HANDLE | TPM2_RC_P | TPM2_RC_1);
  } catch (const tpm::TpmError& e) {
    EXPECT_TRUE(e.handles_lost());
  }
}

TEST(TpmErrors, OtherTpmErrorsAreDeviceWithDecodedMessage) {
  std::string msg;
  EXPECT_EQ(code_of(TPM2_RC_OBJECT_MEMORY, &msg), BackendErrc::device);
  EXPECT_NE(msg.find("0x902"), std::string::npos) << msg;
  EXPECT_NE(msg.find("resource manager"), std::string::npos) << msg;
  EXPECT_EQ(code_of(TPM2_RC_ECC_POINT | TPM2_RC_P | TPM2_RC_1, &msg), BackendErrc::device);
  EXPECT_EQ(tpm::tpm_rc_base(0x1E7), static_cast<TSS2_RC>(TPM2_RC_ECC_POINT));
}

}  // namespace
}  // namespace recrypt::testing

namespace recrypt::testing {
namespace {

// The TCTI comes from the config, else the tpm2-tools environment variables, else the kernel
// resource manager.
TEST(TpmTcti, ExplicitThenEnvironmentThenDefault) {
  for (const char* var : {"TPM2TOOLS_TCTI", "TCTI", "TSS2_TCTI"}) ::unsetenv(var);
  EXPECT_EQ(tpm::resolve_tcti(""), "device:/dev/tpmrm0");
  ::setenv("TSS2_TCTI", "mssim:port=1", 1);
  EXPECT_EQ(tpm::resolve_tcti(""), "mssim:port=1");
  ::setenv("TPM2TOOLS_TCTI", "swtpm:port=2321", 1);
  EXPECT_EQ(tpm::resolve_tcti(""), "swtpm:port=2321");
  EXPECT_EQ(tpm::resolve_tcti("device:/dev/tpm0"), "device:/dev/tpm0");
  for (const char* var : {"TPM2TOOLS_TCTI", "TCTI", "TSS2_TCTI"}) ::unsetenv(var);
}

}  // namespace
}  // namespace recrypt::testing
