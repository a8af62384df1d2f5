#include "pkcs11/ck_error.hpp"

#include <cstdio>

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

namespace {

struct RvInfo {
  CK_RV rv;
  const char* name;
  const char* meaning;  // for the user; empty when the name says enough
};

// The codes a backend user can meet; others are printed in hex.
constexpr RvInfo kRvTable[] = {
    {CKR_CANCEL, "CKR_CANCEL", "cancelled"},
    {CKR_HOST_MEMORY, "CKR_HOST_MEMORY", "the module ran out of memory"},
    {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID", "the token's slot is gone"},
    {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR", "the module failed"},
    {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED", "the token refused the operation"},
    {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD", "bad arguments"},
    {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE", "the attribute is sensitive"},
    {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID", "attribute not supported"},
    {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID", "attribute value refused"},
    {CKR_DATA_INVALID, "CKR_DATA_INVALID", "input refused"},
    {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE", "input length refused"},
    {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR", "the device failed"},
    {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY", "the token is full"},
    {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED", "the token was removed"},
    {CKR_ENCRYPTED_DATA_INVALID, "CKR_ENCRYPTED_DATA_INVALID", "ciphertext refused"},
    {CKR_FUNCTION_CANCELED, "CKR_FUNCTION_CANCELED", "cancelled on the device"},
    {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED", "the module cannot do this"},
    {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID", "the key is gone"},
    {CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE", "key size refused"},
    {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT", "wrong kind of key"},
    {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED",
     "the key's attributes do not allow this use"},
    {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID", "the token does not have this mechanism"},
    {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID", "mechanism parameters refused"},
    {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID", "the object is gone"},
    {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE", "another operation is active"},
    {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT", "wrong PIN"},
    {CKR_PIN_INVALID, "CKR_PIN_INVALID", "the PIN has characters the token refuses"},
    {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE", "the PIN is too long or too short"},
    {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED", "the PIN has expired; change it first"},
    {CKR_PIN_LOCKED, "CKR_PIN_LOCKED", "the PIN is blocked; unblock it with the SO PIN or PUK"},
    {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED", "the session was closed"},
    {CKR_SESSION_COUNT, "CKR_SESSION_COUNT", "the token has no free sessions"},
    {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID", "the session is gone"},
    {CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY", "read-only session"},
    {CKR_SIGNATURE_INVALID, "CKR_SIGNATURE_INVALID", "bad signature"},
    {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE", "template incomplete"},
    {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT", "template inconsistent"},
    {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT", "the token is not present"},
    {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED", "the token is not recognised"},
    {CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED", "the token is write-protected"},
    {CKR_UNWRAPPING_KEY_HANDLE_INVALID, "CKR_UNWRAPPING_KEY_HANDLE_INVALID",
     "the unwrapping key is gone"},
    {CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT, "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
     "wrong kind of unwrapping key"},
    {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN", ""},
    {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN", "the token is not logged in"},
    {CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED", "the token has no user PIN yet"},
    {CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID", ""},
    {CKR_WRAPPED_KEY_INVALID, "CKR_WRAPPED_KEY_INVALID", "the wrapped key was refused"},
    {CKR_WRAPPED_KEY_LEN_RANGE, "CKR_WRAPPED_KEY_LEN_RANGE", "wrapped key length refused"},
    {CKR_RANDOM_NO_RNG, "CKR_RANDOM_NO_RNG", "the token has no RNG"},
    {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL", ""},
    {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED",
     "the module was finalised under us"},
    {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED", ""},
    {CKR_DOMAIN_PARAMS_INVALID, "CKR_DOMAIN_PARAMS_INVALID", "the token does not have this curve"},
    {CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED", "the token does not have this curve"},
};

const RvInfo* find_rv(CK_RV rv) noexcept {
  for (const auto& info : kRvTable)
    if (info.rv == rv) return &info;
  return nullptr;
}

}  // namespace

std::string rv_name(CK_RV rv) {
  if (const auto* info = find_rv(rv)) return info->name;
  char buf[32];
  std::snprintf(buf, sizeof buf, "CKR_0x%08lX", static_cast<unsigned long>(rv));
  return buf;
}

BackendErrc rv_errc(CK_RV rv) noexcept {
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_INVALID:
    case CKR_PIN_LEN_RANGE:
    case CKR_PIN_EXPIRED:
    case CKR_USER_PIN_NOT_INITIALIZED:
      return BackendErrc::auth_failed;
    case CKR_PIN_LOCKED:
      return BackendErrc::locked;
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_DEVICE_REMOVED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_SLOT_ID_INVALID:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
      return BackendErrc::not_present;
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return BackendErrc::no_such_key;
    case CKR_CANCEL:
    case CKR_FUNCTION_CANCELED:
      return BackendErrc::cancelled;
    case CKR_FUNCTION_NOT_SUPPORTED:
    case CKR_MECHANISM_INVALID:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_DOMAIN_PARAMS_INVALID:
    case CKR_CURVE_NOT_SUPPORTED:
    case CKR_TOKEN_WRITE_PROTECTED:
      return BackendErrc::unsupported;
    default:
      return BackendErrc::device;
  }
}

bool rv_invalidates_session(CK_RV rv) noexcept {
  switch (rv) {
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_DEVICE_REMOVED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_SLOT_ID_INVALID:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_USER_NOT_LOGGED_IN:
    case CKR_DEVICE_ERROR:
    case CKR_GENERAL_ERROR:
      return true;
    default:
      return false;
  }
}

void throw_rv(std::string_view where, CK_RV rv) {
  std::string msg(where);
  msg += ": ";
  const auto* info = find_rv(rv);
  if (info != nullptr && info->meaning[0] != '\0') {
    msg += info->meaning;
    msg += " (";
    msg += info->name;
    msg += ")";
  } else {
    msg += rv_name(rv);
  }
  throw Pkcs11Error(rv_errc(rv), msg, rv);
}

void check_rv(std::string_view where, CK_RV rv) {
  if (rv != CKR_OK) throw_rv(where, rv);
}

}  // namespace recrypt::pkcs11
