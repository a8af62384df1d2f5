#include "tpm/tpm_error.hpp"

#include <tss2/tss2_rc.h>
#include <tss2/tss2_tpm2_types.h>

#include <cstdio>

namespace recrypt::tpm {
namespace {

using backend::BackendErrc;

TSS2_RC layer(TSS2_RC rc) noexcept { return rc & TSS2_RC_LAYER_MASK; }

bool is_tpm_layer(TSS2_RC rc) noexcept {
  // tpm2-abrmd forwards TPM codes in a layer of its own.
  return layer(rc) == TSS2_TPM_RC_LAYER || layer(rc) == TSS2_RESMGR_TPM_RC_LAYER;
}

std::string hex(TSS2_RC rc) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%X", rc);
  return buf;
}

BackendErrc classify(TSS2_RC rc) noexcept {
  if (layer(rc) == TSS2_TCTI_RC_LAYER) return BackendErrc::not_present;
  const TSS2_RC base_layerless = rc & ~TSS2_RC_LAYER_MASK;
  if (!is_tpm_layer(rc)) {
    switch (base_layerless & 0xFFFF) {
      case TSS2_BASE_RC_IO_ERROR:
      case TSS2_BASE_RC_NO_CONNECTION:
        return BackendErrc::not_present;
      default:
        return BackendErrc::device;
    }
  }
  switch (tpm_rc_base(rc)) {
    case TPM2_RC_AUTH_FAIL:
    case TPM2_RC_BAD_AUTH:
      return BackendErrc::auth_failed;
    case TPM2_RC_LOCKOUT:
      return BackendErrc::locked;
    default:
      return BackendErrc::device;
  }
}

// Advice that makes the message actionable; empty when the decoded code says enough.
std::string advice(TSS2_RC rc) {
  if (classify(rc) == BackendErrc::not_present)
    return "the TPM is not reachable (is the TPM, swtpm or the resource manager running?)";
  switch (tpm_rc_base(rc)) {
    case TPM2_RC_AUTH_FAIL:
    case TPM2_RC_BAD_AUTH:
      return "wrong PIN; each failure counts towards the TPM's dictionary-attack lockout";
    case TPM2_RC_LOCKOUT:
      return "the TPM is in dictionary-attack lockout after too many wrong PINs; wait for the "
             "lockout recovery time, or have the TPM owner run `tpm2_dictionarylockout "
             "--clear-lockout`";
    case TPM2_RC_OBJECT_MEMORY:
    case TPM2_RC_SESSION_MEMORY:
    case TPM2_RC_OBJECT_HANDLES:
    case TPM2_RC_SESSION_HANDLES:
      return "the TPM is out of object or session slots; without a resource manager (swtpm, "
             "/dev/tpm0) some program left handles loaded: restart the TPM or use /dev/tpmrm0";
    case TPM2_RC_ECC_POINT:
      return "the TPM rejected the point: it is not on the key's curve";
    case TPM2_RC_INTEGRITY:
      return "the blob does not belong to this TPM's storage key (made for another TPM, or "
             "corrupted)";
    case TPM2_RC_INITIALIZE:
      return "the TPM has not been started (TPM2_Startup)";
    default:
      return {};
  }
}

}  // namespace

TSS2_RC tpm_rc_base(TSS2_RC rc) noexcept {
  if (!is_tpm_layer(rc)) return rc;
  const TSS2_RC code = rc & ~TSS2_RC_LAYER_MASK;
  if (code & TPM2_RC_FMT1) return code & (TPM2_RC_FMT1 | 0x3F);
  return code & (TPM2_RC_VER1 | TPM2_RC_WARN | 0x7F);
}

bool TpmError::transport_lost() const noexcept {
  return classify(rc_) == BackendErrc::not_present ||
         (!is_tpm_layer(rc_) && ((rc_ & 0xFFFF) == TSS2_BASE_RC_BAD_SEQUENCE ||
                                 (rc_ & 0xFFFF) == TSS2_BASE_RC_MALFORMED_RESPONSE ||
                                 (rc_ & 0xFFFF) == TSS2_BASE_RC_INSUFFICIENT_RESPONSE));
}

bool TpmError::handles_lost() const noexcept {
  if (!is_tpm_layer(rc_)) return false;
  const TSS2_RC base = tpm_rc_base(rc_);
  return base == TPM2_RC_INITIALIZE || base == TPM2_RC_HANDLE ||
         (base >= TPM2_RC_REFERENCE_H0 && base <= TPM2_RC_REFERENCE_S6);
}

void check_rc(const char* where, TSS2_RC rc) {
  if (rc == TSS2_RC_SUCCESS) return;
  std::string message =
      std::string("TPM: ") + where + " failed: " + Tss2_RC_Decode(rc) + " (" + hex(rc) + ")";
  if (auto hint = advice(rc); !hint.empty()) message += "; " + hint;
  throw TpmError(classify(rc), message, rc);
}

}  // namespace recrypt::tpm
