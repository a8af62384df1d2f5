// One place turns a PKCS#11 return value into a backend::BackendError: callers never compare
// raw CK_RV codes, and every message names the call that failed.
#pragma once

#include <p11-kit/pkcs11.h>

#include <string>
#include <string_view>

#include "backend/backend.hpp"

namespace recrypt::pkcs11 {

// A BackendError that remembers the CK_RV, so that the backend can decide what cached state
// the failure invalidates without parsing messages.
class Pkcs11Error : public backend::BackendError {
 public:
  Pkcs11Error(backend::BackendErrc code, const std::string& message, CK_RV rv)
      : BackendError(code, message), rv_(rv) {}
  CK_RV rv() const noexcept { return rv_; }

 private:
  CK_RV rv_;
};

// "CKR_PIN_INCORRECT", or "CKR_0x..." for codes we do not name.
std::string rv_name(CK_RV rv);

// The BackendErrc a CK_RV stands for (CKR_OK has none; callers do not ask).
backend::BackendErrc rv_errc(CK_RV rv) noexcept;

// True when the code means the session, the token or the module state we relied on is gone:
// the caller drops cached sessions and handles.
bool rv_invalidates_session(CK_RV rv) noexcept;

// Throws Pkcs11Error(rv_errc(rv), "<where>: <what it means> (CKR_...)") unless rv is CKR_OK.
void check_rv(std::string_view where, CK_RV rv);

[[noreturn]] void throw_rv(std::string_view where, CK_RV rv);

}  // namespace recrypt::pkcs11
