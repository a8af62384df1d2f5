#include "tpm/esys_object.hpp"

#include <utility>

#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {

EsysObject::EsysObject(EsysObject&& other) noexcept
    : ctx_(other.ctx_), tr_(std::exchange(other.tr_, ESYS_TR_NONE)), how_(other.how_) {}

EsysObject& EsysObject::operator=(EsysObject&& other) noexcept {
  if (this != &other) {
    reset();
    ctx_ = other.ctx_;
    tr_ = std::exchange(other.tr_, ESYS_TR_NONE);
    how_ = other.how_;
  }
  return *this;
}

void EsysObject::reset() noexcept {
  if (tr_ == ESYS_TR_NONE || ctx_ == nullptr) return;
  if (how_ == Release::flush) {
    if (Esys_FlushContext(ctx_, tr_) != TSS2_RC_SUCCESS) Esys_TR_Close(ctx_, &tr_);
  } else {
    Esys_TR_Close(ctx_, &tr_);
  }
  tr_ = ESYS_TR_NONE;
}

void EsysObject::abandon() noexcept {
  // Esys_TR_Close only frees ESAPI's bookkeeping; it sends nothing to the TPM.
  if (tr_ != ESYS_TR_NONE && ctx_ != nullptr) Esys_TR_Close(ctx_, &tr_);
  tr_ = ESYS_TR_NONE;
}

EsysObject start_salted_session(ESYS_CONTEXT* ctx, ESYS_TR salt_key) {
  const TPMT_SYM_DEF symmetric{
      .algorithm = TPM2_ALG_AES, .keyBits = {.aes = 128}, .mode = {.aes = TPM2_ALG_CFB}};
  ESYS_TR session = ESYS_TR_NONE;
  check_rc(
      "TPM2_StartAuthSession",
      Esys_StartAuthSession(ctx, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                            nullptr, TPM2_SE_HMAC, &symmetric, TPM2_ALG_SHA256, &session));
  EsysObject out(ctx, session);
  set_session_attributes(ctx, session, {});
  return out;
}

void set_session_attributes(ESYS_CONTEXT* ctx, ESYS_TR session, SessionAttributes attrs) {
  TPMA_SESSION flags = TPMA_SESSION_CONTINUESESSION;
  if (attrs.decrypt) flags |= TPMA_SESSION_DECRYPT;
  if (attrs.encrypt) flags |= TPMA_SESSION_ENCRYPT;
  check_rc("Esys_TRSess_SetAttributes", Esys_TRSess_SetAttributes(ctx, session, flags, 0xFF));
}

}  // namespace recrypt::tpm
