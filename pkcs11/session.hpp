// Move-only owners of a PKCS#11 session and of a session object (a derived secret), so that no
// error path leaves either behind in the token.
#pragma once

#include <p11-kit/pkcs11.h>

#include <utility>

namespace recrypt::pkcs11 {

class Session {
 public:
  Session() = default;
  // Opens a read-write serial session on `slot`; throws BackendError on failure.
  Session(CK_FUNCTION_LIST* fn, CK_SLOT_ID slot);
  Session(Session&& o) noexcept { swap(o); }
  Session& operator=(Session&& o) noexcept {
    Session tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ~Session() { close(); }

  // Closes now; errors are ignored because the session may already be gone with its token.
  void close() noexcept;
  // Forgets the handle without C_CloseSession: after C_Finalize it is already invalid.
  void abandon() noexcept { h_ = CK_INVALID_HANDLE; }

  explicit operator bool() const noexcept { return h_ != CK_INVALID_HANDLE; }
  CK_SESSION_HANDLE handle() const noexcept { return h_; }
  CK_SLOT_ID slot() const noexcept { return slot_; }
  CK_FUNCTION_LIST* fn() const noexcept { return fn_; }

 private:
  void swap(Session& o) noexcept {
    std::swap(fn_, o.fn_);
    std::swap(h_, o.h_);
    std::swap(slot_, o.slot_);
  }
  CK_FUNCTION_LIST* fn_ = nullptr;
  CK_SESSION_HANDLE h_ = CK_INVALID_HANDLE;
  CK_SLOT_ID slot_ = 0;
};

// Destroys a (session) object when it goes out of scope.
class ObjectGuard {
 public:
  ObjectGuard(const Session& s, CK_OBJECT_HANDLE obj) noexcept
      : fn_(s.fn()), session_(s.handle()), obj_(obj) {}
  ObjectGuard(const ObjectGuard&) = delete;
  ObjectGuard& operator=(const ObjectGuard&) = delete;
  ~ObjectGuard() {
    if (obj_ != CK_INVALID_HANDLE) fn_->C_DestroyObject(session_, obj_);
  }
  CK_OBJECT_HANDLE get() const noexcept { return obj_; }
  CK_OBJECT_HANDLE release() noexcept { return std::exchange(obj_, CK_INVALID_HANDLE); }

 private:
  CK_FUNCTION_LIST* fn_;
  CK_SESSION_HANDLE session_;
  CK_OBJECT_HANDLE obj_;
};

}  // namespace recrypt::pkcs11
