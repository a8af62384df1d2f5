#include "pkcs11/session.hpp"

#include "pkcs11/ck_error.hpp"

namespace recrypt::pkcs11 {

Session::Session(CK_FUNCTION_LIST* fn, CK_SLOT_ID slot) : fn_(fn), slot_(slot) {
  CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
  check_rv("C_OpenSession",
           fn->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h));
  h_ = h;
}

void Session::close() noexcept {
  if (h_ != CK_INVALID_HANDLE) {
    fn_->C_CloseSession(h_);
    h_ = CK_INVALID_HANDLE;
  }
}

}  // namespace recrypt::pkcs11
