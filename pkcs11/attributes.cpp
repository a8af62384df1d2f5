#include "pkcs11/attributes.hpp"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <algorithm>
#include <cstring>

#include "pkcs11/ck_error.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"

namespace recrypt::pkcs11 {

Template& Template::add_bool(CK_ATTRIBUTE_TYPE type, bool value) {
  Bytes v(sizeof(CK_BBOOL));
  v[0] = value ? CK_TRUE : CK_FALSE;
  types_.push_back(type);
  values_.push_back(std::move(v));
  secret_index_.push_back(-1);
  return *this;
}

Template& Template::add_ulong(CK_ATTRIBUTE_TYPE type, CK_ULONG value) {
  Bytes v(sizeof value);
  std::memcpy(v.data(), &value, sizeof value);
  types_.push_back(type);
  values_.push_back(std::move(v));
  secret_index_.push_back(-1);
  return *this;
}

Template& Template::add_bytes(CK_ATTRIBUTE_TYPE type, ByteView value) {
  types_.push_back(type);
  values_.push_back(to_bytes(value));
  secret_index_.push_back(-1);
  return *this;
}

Template& Template::add_secret(CK_ATTRIBUTE_TYPE type, ByteView value) {
  types_.push_back(type);
  values_.emplace_back();
  secrets_.push_back(secure_copy(value));
  secret_index_.push_back(static_cast<int>(secrets_.size() - 1));
  return *this;
}

CK_ATTRIBUTE* Template::data() noexcept {
  built_.clear();
  for (std::size_t i = 0; i < types_.size(); ++i) {
    void* p;
    std::size_t n;
    if (secret_index_[i] >= 0) {
      auto& s = secrets_[static_cast<std::size_t>(secret_index_[i])];
      p = s.data();
      n = s.size();
    } else {
      p = values_[i].data();
      n = values_[i].size();
    }
    built_.push_back(CK_ATTRIBUTE{types_[i], p, static_cast<CK_ULONG>(n)});
  }
  return built_.data();
}

std::optional<Bytes> get_bytes(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                               CK_ATTRIBUTE_TYPE type) {
  CK_ATTRIBUTE a{type, nullptr, 0};
  CK_RV rv = fn->C_GetAttributeValue(s, o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
  check_rv("C_GetAttributeValue", rv);
  if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION) return std::nullopt;
  Bytes value(a.ulValueLen);
  a.pValue = value.data();
  check_rv("C_GetAttributeValue", fn->C_GetAttributeValue(s, o, &a, 1));
  value.resize(a.ulValueLen);
  return value;
}

std::optional<CK_ULONG> get_ulong(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                                  CK_ATTRIBUTE_TYPE type) {
  CK_ULONG v = 0;
  CK_ATTRIBUTE a{type, &v, sizeof v};
  CK_RV rv = fn->C_GetAttributeValue(s, o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
  check_rv("C_GetAttributeValue", rv);
  if (a.ulValueLen != sizeof v) return std::nullopt;
  return v;
}

std::optional<bool> get_bool(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL v = CK_FALSE;
  CK_ATTRIBUTE a{type, &v, sizeof v};
  CK_RV rv = fn->C_GetAttributeValue(s, o, &a, 1);
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) return std::nullopt;
  check_rv("C_GetAttributeValue", rv);
  if (a.ulValueLen != sizeof v) return std::nullopt;
  return v == CK_TRUE;
}

void get_secret(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                CK_ATTRIBUTE_TYPE type, std::span<std::uint8_t> out, std::string_view what) {
  CK_ATTRIBUTE a{type, out.data(), static_cast<CK_ULONG>(out.size())};
  check_rv("C_GetAttributeValue(" + std::string(what) + ")", fn->C_GetAttributeValue(s, o, &a, 1));
  if (a.ulValueLen != out.size())
    throw backend::BackendError(backend::BackendErrc::device,
                                "the token returned " + std::string(what) + " of the wrong size");
}

std::vector<CK_OBJECT_HANDLE> find_objects(CK_FUNCTION_LIST* fn, CK_SESSION_HANDLE s,
                                           CK_ATTRIBUTE* tmpl, CK_ULONG count) {
  check_rv("C_FindObjectsInit", fn->C_FindObjectsInit(s, tmpl, count));
  std::vector<CK_OBJECT_HANDLE> found;
  CK_RV rv = CKR_OK;
  for (;;) {
    CK_OBJECT_HANDLE batch[32];
    CK_ULONG n = 0;
    rv = fn->C_FindObjects(s, batch, 32, &n);
    if (rv != CKR_OK || n == 0) break;
    found.insert(found.end(), batch, batch + n);
  }
  // Always end the search: a session with a search active refuses every other operation.
  CK_RV final_rv = fn->C_FindObjectsFinal(s);
  check_rv("C_FindObjects", rv);
  check_rv("C_FindObjectsFinal", final_rv);
  return found;
}

Bytes ec_params_der(const Curve& curve) {
  ASN1_OBJECT* oid = OBJ_nid2obj(curve.nid());
  ossl::check(oid != nullptr, "OBJ_nid2obj");
  int n = i2d_ASN1_OBJECT(oid, nullptr);
  ossl::check(n > 0, "i2d_ASN1_OBJECT");
  Bytes der(static_cast<std::size_t>(n));
  unsigned char* p = der.data();
  i2d_ASN1_OBJECT(oid, &p);
  return der;
}

bool ec_params_match(const Curve& curve, ByteView der) {
  Bytes want = ec_params_der(curve);
  return der.size() == want.size() && std::equal(der.begin(), der.end(), want.begin());
}

Bytes ec_point_der(const Point& p) {
  Bytes raw = p.to_uncompressed();
  ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
  ossl::check(os != nullptr, "ASN1_OCTET_STRING_new");
  if (ASN1_OCTET_STRING_set(os, raw.data(), static_cast<int>(raw.size())) != 1) {
    ASN1_OCTET_STRING_free(os);
    ossl::check(false, "ASN1_OCTET_STRING_set");
  }
  int n = i2d_ASN1_OCTET_STRING(os, nullptr);
  Bytes der(n > 0 ? static_cast<std::size_t>(n) : 0);
  unsigned char* q = der.data();
  if (n > 0) i2d_ASN1_OCTET_STRING(os, &q);
  ASN1_OCTET_STRING_free(os);
  ossl::check(n > 0, "i2d_ASN1_OCTET_STRING");
  return der;
}

Point ec_point_from_attribute(const Curve& curve, ByteView value) {
  const std::size_t raw_len = 1 + 2 * curve.coordinate_size();
  // Raw 04||X||Y has exactly raw_len bytes; the DER form is longer (tag and length first).
  if (value.size() == raw_len) return Point::from_uncompressed(curve, value);
  const unsigned char* p = value.data();
  ASN1_OCTET_STRING* os = d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(value.size()));
  if (os == nullptr || p != value.data() + value.size()) {
    ASN1_OCTET_STRING_free(os);
    fail(Errc::invalid_key, "CKA_EC_POINT is neither DER nor a raw uncompressed point");
  }
  ByteView inner(ASN1_STRING_get0_data(os), static_cast<std::size_t>(ASN1_STRING_length(os)));
  try {
    Point point = Point::from_uncompressed(curve, inner);
    ASN1_OCTET_STRING_free(os);
    return point;
  } catch (...) {
    ASN1_OCTET_STRING_free(os);
    throw;
  }
}

}  // namespace recrypt::pkcs11
