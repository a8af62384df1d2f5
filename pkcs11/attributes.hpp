// Building attribute templates and reading attributes back, and the DER encodings PKCS#11
// uses for EC keys (CKA_EC_PARAMS is a DER OID, CKA_EC_POINT a DER OCTET STRING).
#pragma once

#include <p11-kit/pkcs11.h>

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "protocol/curve.hpp"
#include "protocol/point.hpp"

namespace recrypt::pkcs11 {

// A template that owns the values it points to, so callers can build it in one expression.
class Template {
 public:
  Template& add_bool(CK_ATTRIBUTE_TYPE type, bool value);
  Template& add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value);
  Template& add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value);
  Template& add_secret(CK_ATTRIBUTE_TYPE type, ByteView value);  // wiped on destruction

  CK_ATTRIBUTE* data() noexcept;
  CK_ULONG size() const noexcept { return static_cast<CK_ULONG>(types_.size()); }

 private:
  std::vector<CK_ATTRIBUTE_TYPE> types_;
  std::vector<Bytes> values_;
  std::vector<SecureBytes> secrets_;
  std::vector<int> secret_index_;  // -1 for public values, else index into secrets_
  std::vector<CK_ATTRIBUTE> built_;
};

// Reads one attribute; nullopt when the object does not have it or will not reveal it.
std::optional<Bytes> get_bytes(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                               CK_ATTRIBUTE_TYPE type);
std::optional<CK_ULONG> get_ulong(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                  CK_ATTRIBUTE_TYPE type);
std::optional<bool> get_bool(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_TYPE type);
// Reads a secret attribute (the CKA_VALUE of a derived key) straight into `out`, wiping memory
// the caller owns, which must be exactly the attribute's size: BackendError(device) "the token
// returned <what> of the wrong size" otherwise, Pkcs11Error when the token refuses.
void get_secret(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                CK_ATTRIBUTE_TYPE type, std::span<std::uint8_t> out, std::string_view what);

// Every object matching `tmpl` (C_FindObjectsInit/C_FindObjects/C_FindObjectsFinal).
std::vector<CK_OBJECT_HANDLE> find_objects(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s,
                                           CK_ATTRIBUTE* tmpl, CK_ULONG count);

// DER of the curve's named OID, the CKA_EC_PARAMS of its keys.
Bytes ec_params_der(const Curve& curve);
// True when `der` names `curve`.
bool ec_params_match(const Curve& curve, ByteView der);
// CKA_EC_POINT: a DER OCTET STRING around 04||X||Y.
Bytes ec_point_der(const Point& p);
// Reads CKA_EC_POINT in either the DER form the standard asks for or the raw form some
// modules return. Throws Error(invalid_key) when it is neither.
Point ec_point_from_attribute(const Curve& curve, ByteView value);

}  // namespace recrypt::pkcs11
