#include "pkcs11/token_uri.hpp"

#include <p11-kit/uri.h>

#include <cstdlib>
#include <cstring>

#include "base/error.hpp"

namespace recrypt::pkcs11 {

void UriFree::operator()(p11_kit_uri* u) const noexcept { p11_kit_uri_free(u); }

namespace {

UriPtr new_uri() {
  UriPtr u(p11_kit_uri_new());
  if (!u) fail(Errc::internal, "p11_kit_uri_new failed");
  return u;
}

std::string trimmed(const unsigned char* field, std::size_t size) {
  std::size_t n = size;
  while (n > 0 && (field[n - 1] == ' ' || field[n - 1] == '\0')) --n;
  return std::string(reinterpret_cast<const char*>(field), n);
}

}  // namespace

std::string token_label(const CK_TOKEN_INFO& info) {
  return trimmed(info.label, sizeof info.label);
}

TokenSelector::TokenSelector(std::string_view uri) : text_(uri), uri_(new_uri()) {
  int r = p11_kit_uri_parse(text_.c_str(), P11_KIT_URI_FOR_TOKEN, uri_.get());
  if (r != P11_KIT_URI_OK)
    fail(Errc::malformed, "token selector '" + text_ + "': " + p11_kit_uri_message(r));
  // A selector with unknown attributes would silently match every token: refuse it.
  if (p11_kit_uri_any_unrecognized(uri_.get()))
    fail(Errc::malformed, "token selector '" + text_ + "' has attributes that do not name a token");
}

bool TokenSelector::matches(const CK_TOKEN_INFO& info) const {
  return p11_kit_uri_match_token_info(uri_.get(), const_cast<CK_TOKEN_INFO*>(&info)) == 1;
}

std::string format_key_uri(const CK_TOKEN_INFO& info, const KeyRef& key) {
  UriPtr u = new_uri();
  CK_TOKEN_INFO* ti = p11_kit_uri_get_token_info(u.get());
  // Only the label: it is what users choose and what tokens are found by. Serial, model and
  // manufacturer stay blank, which p11-kit leaves out of the URI.
  std::memcpy(ti->label, info.label, sizeof ti->label);

  CK_OBJECT_CLASS klass = CKO_PRIVATE_KEY;
  CK_ATTRIBUTE a_class{CKA_CLASS, &klass, sizeof klass};
  p11_kit_uri_set_attribute(u.get(), &a_class);
  std::string label = key.label.value_or("");
  if (key.label) {
    CK_ATTRIBUTE a{CKA_LABEL, label.data(), static_cast<CK_ULONG>(label.size())};
    p11_kit_uri_set_attribute(u.get(), &a);
  }
  Bytes id = key.id.value_or(Bytes{});
  if (key.id) {
    CK_ATTRIBUTE a{CKA_ID, id.data(), static_cast<CK_ULONG>(id.size())};
    p11_kit_uri_set_attribute(u.get(), &a);
  }
  char* s = nullptr;
  int r = p11_kit_uri_format(u.get(), P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &s);
  if (r != P11_KIT_URI_OK || s == nullptr)
    fail(Errc::internal, std::string("p11_kit_uri_format: ") + p11_kit_uri_message(r));
  std::string out(s);
  std::free(s);
  return out;
}

std::optional<KeyRef> parse_key_uri(std::string_view uri, const CK_TOKEN_INFO& info) {
  // p11-kit reads a C string: a NUL would hide the rest of the text from it, so that what we
  // checked is not what was written.
  if (uri.find('\0') != std::string_view::npos) return std::nullopt;
  UriPtr u = new_uri();
  std::string text(uri);
  if (p11_kit_uri_parse(text.c_str(), P11_KIT_URI_FOR_OBJECT_ON_TOKEN, u.get()) != P11_KIT_URI_OK)
    return std::nullopt;
  if (p11_kit_uri_any_unrecognized(u.get())) return std::nullopt;
  if (p11_kit_uri_match_token_info(u.get(), const_cast<CK_TOKEN_INFO*>(&info)) != 1)
    return std::nullopt;
  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(u.get(), CKA_CLASS)) {
    if (a->ulValueLen != sizeof(CK_OBJECT_CLASS)) return std::nullopt;
    CK_OBJECT_CLASS klass;
    std::memcpy(&klass, a->pValue, sizeof klass);
    if (klass != CKO_PRIVATE_KEY) return std::nullopt;
  }
  KeyRef ref;
  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(u.get(), CKA_LABEL)) {
    if (a->ulValueLen == 0) return std::nullopt;  // as an empty id: names no key
    ref.label = std::string(static_cast<const char*>(a->pValue), a->ulValueLen);
  }
  if (CK_ATTRIBUTE* a = p11_kit_uri_get_attribute(u.get(), CKA_ID)) {
    // An empty id names no key (and would not survive formatting back to a URI).
    if (a->ulValueLen == 0) return std::nullopt;
    auto* p = static_cast<const std::uint8_t*>(a->pValue);
    ref.id = Bytes(p, p + a->ulValueLen);
  }
  if (!ref.label && !ref.id) return std::nullopt;
  return ref;
}

}  // namespace recrypt::pkcs11
