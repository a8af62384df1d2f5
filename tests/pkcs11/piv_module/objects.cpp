// The card's objects: which of the underlying token's objects it shows, with which attributes,
// and what it lets a caller do to them.
#include <algorithm>
#include <cstring>

#include "module.hpp"

namespace piv {

namespace {

using Value = std::vector<unsigned char>;

Value boolean(bool b) { return Value{static_cast<unsigned char>(b ? CK_TRUE : CK_FALSE)}; }
Value text(const std::string& s) { return Value(s.begin(), s.end()); }

// Attributes the card reports itself instead of the underlying token's values. A search on
// any of them is matched here, against what the card shows.
constexpr CK_ATTRIBUTE_TYPE kPresented[] = {CKA_LABEL,
                                            CKA_SENSITIVE,
                                            CKA_EXTRACTABLE,
                                            CKA_ALWAYS_SENSITIVE,
                                            CKA_NEVER_EXTRACTABLE,
                                            CKA_MODIFIABLE,
                                            CKA_COPYABLE,
                                            CKA_SIGN,
                                            CKA_DERIVE,
                                            CKA_UNWRAP,
                                            CKA_DECRYPT,
                                            CKA_ALWAYS_AUTHENTICATE};

bool presented_type(CK_ATTRIBUTE_TYPE type) {
  return std::find(std::begin(kPresented), std::end(kPresented), type) != std::end(kPresented);
}

// The card's own value of an attribute of a slot key; nullopt: the underlying one stands.
std::optional<Value> presented(const Shown& s, CK_ATTRIBUTE_TYPE type) {
  Profile p = Profile::get();
  if (!s.slot) {
    // An ECDH result: OpenSC never marks its session keys extractable, yet hands out the value.
    if (type == CKA_EXTRACTABLE && !p.ykcs11()) return boolean(false);
    return std::nullopt;
  }
  const Slot& slot = *s.slot;
  bool priv = s.cls == CKO_PRIVATE_KEY;
  switch (type) {
    case CKA_LABEL:
      return text(priv ? private_label(p, slot) : public_label(p, slot));
    case CKA_MODIFIABLE:
    case CKA_COPYABLE:
      return boolean(false);
    default:
      break;
  }
  if (!priv) return std::nullopt;
  switch (type) {
    case CKA_SENSITIVE:
    case CKA_ALWAYS_SENSITIVE:
    case CKA_NEVER_EXTRACTABLE:
      return boolean(true);
    case CKA_EXTRACTABLE:
    case CKA_UNWRAP:
    case CKA_DECRYPT:
      return boolean(false);
    case CKA_SIGN:
      return boolean(reports_sign(p, slot));
    case CKA_DERIVE:
      return boolean(reports_derive(p, slot));
    case CKA_ALWAYS_AUTHENTICATE:
      return boolean(always_authenticate(slot));
    default:
      return std::nullopt;
  }
}

// Copies one attribute as C_GetAttributeValue does: a length query, a too-small buffer, or the
// value.
CK_RV give(CK_ATTRIBUTE& attr, const Value& v) {
  if (attr.pValue == nullptr) {
    attr.ulValueLen = v.size();
    return CKR_OK;
  }
  if (attr.ulValueLen < v.size()) {
    attr.ulValueLen = CK_UNAVAILABLE_INFORMATION;
    return CKR_BUFFER_TOO_SMALL;
  }
  std::memcpy(attr.pValue, v.data(), v.size());
  attr.ulValueLen = v.size();
  return CKR_OK;
}

// The attribute as the card shows it, read from the underlying token unless presented.
std::optional<Value> value_of(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, const Shown& s,
                              CK_ATTRIBUTE_TYPE type) {
  if (auto v = presented(s, type)) return v;
  CK_ATTRIBUTE a{type, nullptr, 0};
  if (real->C_GetAttributeValue(session, object, &a, 1) != CKR_OK) return std::nullopt;
  Value v(a.ulValueLen);
  a.pValue = v.data();
  if (real->C_GetAttributeValue(session, object, &a, 1) != CKR_OK) return std::nullopt;
  return v;
}

CK_RV get_attribute_value(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR tmpl,
                          CK_ULONG count) {
  std::lock_guard lock(mu);
  auto s = shown(session, object);
  if (!s) return CKR_OBJECT_HANDLE_INVALID;
  if (tmpl == nullptr && count > 0) return CKR_ARGUMENTS_BAD;
  // PKCS#11's precedence when attributes fail differently: sensitive, then invalid type,
  // then a short buffer.
  CK_RV result = CKR_OK;
  auto rank = [](CK_RV rv) {
    return rv == CKR_ATTRIBUTE_SENSITIVE      ? 3
           : rv == CKR_ATTRIBUTE_TYPE_INVALID ? 2
           : rv == CKR_BUFFER_TOO_SMALL       ? 1
                                              : 0;
  };
  for (CK_ULONG i = 0; i < count; ++i) {
    auto v = presented(*s, tmpl[i].type);
    CK_RV rv = v ? give(tmpl[i], *v) : real->C_GetAttributeValue(session, object, &tmpl[i], 1);
    if (rv == CKR_OK) continue;
    if (rank(rv) == 0) return rv;
    if (rank(rv) > rank(result)) result = rv;
  }
  return result;
}

CK_RV find_objects_init(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count) {
  std::lock_guard lock(mu);
  if (tmpl == nullptr && count > 0) return CKR_ARGUMENTS_BAD;
  SessionState& st = sessions[session];
  if (st.finding) return CKR_OPERATION_ACTIVE;
  std::vector<CK_ATTRIBUTE> passed, checked;
  for (CK_ULONG i = 0; i < count; ++i)
    (presented_type(tmpl[i].type) ? checked : passed).push_back(tmpl[i]);
  CK_RV rv = real->C_FindObjectsInit(session, passed.data(), passed.size());
  if (rv != CKR_OK) return rv;
  std::vector<CK_OBJECT_HANDLE> all;
  CK_OBJECT_HANDLE batch[64];
  CK_ULONG n = 0;
  while ((rv = real->C_FindObjects(session, batch, 64, &n)) == CKR_OK && n > 0)
    all.insert(all.end(), batch, batch + n);
  real->C_FindObjectsFinal(session);
  if (rv != CKR_OK) return rv;
  st.found.clear();
  for (CK_OBJECT_HANDLE h : all) {
    auto s = shown(session, h);
    if (!s) continue;
    bool match = std::all_of(checked.begin(), checked.end(), [&](const CK_ATTRIBUTE& want) {
      auto v = value_of(session, h, *s, want.type);
      return v && v->size() == want.ulValueLen &&
             (v->empty() || std::memcmp(v->data(), want.pValue, v->size()) == 0);
    });
    if (match) st.found.push_back(h);
  }
  std::reverse(st.found.begin(), st.found.end());  // handed out from the back
  st.finding = true;
  return CKR_OK;
}

CK_RV find_objects(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE_PTR out, CK_ULONG max,
                   CK_ULONG_PTR count) {
  std::lock_guard lock(mu);
  if (count == nullptr || (out == nullptr && max > 0)) return CKR_ARGUMENTS_BAD;
  SessionState& st = sessions[session];
  if (!st.finding) return CKR_OPERATION_NOT_INITIALIZED;
  *count = 0;
  while (*count < max && !st.found.empty()) {
    out[(*count)++] = st.found.back();
    st.found.pop_back();
  }
  return CKR_OK;
}

CK_RV find_objects_final(CK_SESSION_HANDLE session) {
  std::lock_guard lock(mu);
  SessionState& st = sessions[session];
  if (!st.finding) return CKR_OPERATION_NOT_INITIALIZED;
  st.finding = false;
  st.found.clear();
  return CKR_OK;
}

// Neither module changes or copies a key: ykcs11 has no such calls; OpenSC would need its
// card-writing layer, which has no PIV profile (the same reason it cannot generate keys).
CK_RV set_attribute_value(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR,
                          CK_ULONG) {
  std::lock_guard lock(mu);
  return shown(session, object) ? CKR_FUNCTION_NOT_SUPPORTED : CKR_OBJECT_HANDLE_INVALID;
}

CK_RV copy_object(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ATTRIBUTE_PTR, CK_ULONG,
                  CK_OBJECT_HANDLE_PTR) {
  std::lock_guard lock(mu);
  return shown(session, object) ? CKR_FUNCTION_NOT_SUPPORTED : CKR_OBJECT_HANDLE_INVALID;
}

// Session objects go; a slot's key is removed only with the card's management key, which this
// module does not model.
CK_RV destroy_object(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) {
  std::lock_guard lock(mu);
  auto s = shown(session, object);
  if (!s) return CKR_OBJECT_HANDLE_INVALID;
  if (s->slot) return CKR_FUNCTION_NOT_SUPPORTED;
  CK_RV rv = real->C_DestroyObject(session, object);
  if (rv == CKR_OK) session_objects.erase(object);
  return rv;
}

CK_RV get_object_size(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object, CK_ULONG_PTR size) {
  std::lock_guard lock(mu);
  if (!shown(session, object)) return CKR_OBJECT_HANDLE_INVALID;
  return real->C_GetObjectSize(session, object, size);
}

template <class T>
std::optional<T> template_value(CK_ATTRIBUTE_PTR tmpl, CK_ULONG count, CK_ATTRIBUTE_TYPE type) {
  for (CK_ULONG i = 0; i < count; ++i)
    if (tmpl[i].type == type && tmpl[i].pValue != nullptr && tmpl[i].ulValueLen == sizeof(T)) {
      T v;
      std::memcpy(&v, tmpl[i].pValue, sizeof v);
      return v;
    }
  return std::nullopt;
}

// ykcs11 imports certificates, data and private keys (the latter with the management key,
// not modelled here); any other class, secret keys included, is refused. OpenSC keeps session
// objects in memory but cannot write token objects to a PIV card.
CK_RV create_object(CK_SESSION_HANDLE session, CK_ATTRIBUTE_PTR tmpl, CK_ULONG count,
                    CK_OBJECT_HANDLE_PTR object) {
  std::lock_guard lock(mu);
  auto cls = template_value<CK_OBJECT_CLASS>(tmpl, count, CKA_CLASS);
  if (!cls) return CKR_TEMPLATE_INCOMPLETE;
  if (Profile::get().ykcs11())
    return *cls == CKO_SECRET_KEY || *cls == CKO_PRIVATE_KEY ? CKR_ATTRIBUTE_VALUE_INVALID
                                                             : CKR_FUNCTION_NOT_SUPPORTED;
  if (template_value<CK_BBOOL>(tmpl, count, CKA_TOKEN).value_or(CK_FALSE) == CK_TRUE)
    return CKR_FUNCTION_NOT_SUPPORTED;
  CK_RV rv = real->C_CreateObject(session, tmpl, count, object);
  if (rv == CKR_OK) session_objects[*object] = session;
  return rv;
}

}  // namespace

std::optional<Shown> shown(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE object) {
  CK_OBJECT_CLASS cls = 0;
  CK_ATTRIBUTE c{CKA_CLASS, &cls, sizeof cls};
  if (real->C_GetAttributeValue(session, object, &c, 1) != CKR_OK) return std::nullopt;
  if (session_objects.count(object) > 0) return Shown{cls, std::nullopt};
  if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY) return std::nullopt;
  unsigned char id[2] = {};
  CK_ATTRIBUTE i{CKA_ID, id, sizeof id};
  // An id longer than a byte does not fit: not a slot key.
  if (real->C_GetAttributeValue(session, object, &i, 1) != CKR_OK || i.ulValueLen != 1)
    return std::nullopt;
  auto slot = slot_for_id(Profile::get(), id[0]);
  if (!slot) return std::nullopt;
  return Shown{cls, slot};
}

void install_object_functions(CK_FUNCTION_LIST& list) {
  list.C_GetAttributeValue = get_attribute_value;
  list.C_SetAttributeValue = set_attribute_value;
  list.C_FindObjectsInit = find_objects_init;
  list.C_FindObjects = find_objects;
  list.C_FindObjectsFinal = find_objects_final;
  list.C_CopyObject = copy_object;
  list.C_DestroyObject = destroy_object;
  list.C_GetObjectSize = get_object_size;
  list.C_CreateObject = create_object;
}

}  // namespace piv
