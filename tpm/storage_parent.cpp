#include "tpm/storage_parent.hpp"

#include "tpm/esys_memory.hpp"
#include "tpm/templates.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {
namespace {

using backend::BackendErrc;
using backend::BackendError;

EsysObject create_primary(ESYS_CONTEXT* ctx, TPM2B_PUBLIC& out_public) {
  const TPM2B_SENSITIVE_CREATE sensitive{};
  const TPM2B_PUBLIC tmpl = srk_template();
  const TPM2B_DATA outside{};
  const TPML_PCR_SELECTION pcrs{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* pub = nullptr;
  check_rc("TPM2_CreatePrimary (storage parent)",
           Esys_CreatePrimary(ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                              &sensitive, &tmpl, &outside, &pcrs, &handle, &pub, nullptr, nullptr,
                              nullptr));
  EsysObject primary(ctx, handle);
  out_public = *own(pub);
  return primary;
}

// A persistent handle must hold our SRK, not some other key somebody put there.
void require_srk(const TPM2B_PUBLIC& pub) {
  const TPMT_PUBLIC& a = pub.publicArea;
  const TPMT_PUBLIC t = srk_template().publicArea;
  if (a.type != t.type || a.nameAlg != t.nameAlg || a.objectAttributes != t.objectAttributes ||
      a.parameters.eccDetail.curveID != t.parameters.eccDetail.curveID ||
      a.parameters.eccDetail.symmetric.algorithm != TPM2_ALG_AES ||
      a.parameters.eccDetail.symmetric.keyBits.aes != 128)
    throw BackendError(BackendErrc::device,
                       "TPM: the configured persistent handle holds a key that is not an ECC "
                       "P-256 storage parent of the standard template");
}

EsysObject persistent_primary(ESYS_CONTEXT* ctx, TPM2_HANDLE handle, TPM2B_PUBLIC& out_public) {
  ESYS_TR tr = ESYS_TR_NONE;
  const TSS2_RC rc =
      Esys_TR_FromTPMPublic(ctx, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
  if (rc == TSS2_RC_SUCCESS) {
    EsysObject parent(ctx, tr, EsysObject::Release::close);
    TPM2B_PUBLIC* pub = nullptr;
    check_rc(
        "TPM2_ReadPublic (persistent parent)",
        Esys_ReadPublic(ctx, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, nullptr, nullptr));
    out_public = *own(pub);
    require_srk(out_public);
    return parent;
  }
  try {
    check_rc("TR_FromTPMPublic (persistent parent)", rc);
  } catch (const TpmError& e) {
    if (e.transport_lost()) throw;  // otherwise: not there yet, create it below
  }
  EsysObject transient = create_primary(ctx, out_public);
  check_rc("TPM2_EvictControl (persist storage parent)",
           Esys_EvictControl(ctx, ESYS_TR_RH_OWNER, transient.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                             ESYS_TR_NONE, handle, &tr));
  return EsysObject(ctx, tr, EsysObject::Release::close);
}

}  // namespace

EsysObject open_storage_parent(ESYS_CONTEXT* ctx, std::optional<TPM2_HANDLE> persistent,
                               TPM2B_PUBLIC& out_public) {
  return persistent ? persistent_primary(ctx, *persistent, out_public)
                    : create_primary(ctx, out_public);
}

}  // namespace recrypt::tpm
