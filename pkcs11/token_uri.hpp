// RFC 7512 URIs through p11-kit's parser: the token selector of the configuration, and the
// key ids the backend hands out ("pkcs11:token=alice;id=%01..;object=dev-enc;type=private").
#pragma once

#include <p11-kit/pkcs11.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

struct p11_kit_uri;

namespace recrypt::pkcs11 {

struct UriFree {
  void operator()(p11_kit_uri* u) const noexcept;
};
using UriPtr = std::unique_ptr<p11_kit_uri, UriFree>;

// The configured token: matches CK_TOKEN_INFO against what the URI names.
class TokenSelector {
 public:
  // Throws Error(malformed) when `uri` does not parse or names
  // object attributes (a token selector selects tokens only).
  explicit TokenSelector(std::string_view uri);
  bool matches(const CK_TOKEN_INFO& info) const;
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  UriPtr uri_;
};

// What a key id says about the private key it names.
struct KeyRef {
  std::optional<std::string> label;  // CKA_LABEL
  std::optional<Bytes> id;           // CKA_ID
};

// "pkcs11:token=<token label>;id=..;object=..;type=private" for a key on the token `info`.
std::string format_key_uri(const CK_TOKEN_INFO& info, const KeyRef& key);

// Parses a key id. nullopt when it is not a pkcs11: URI of a private key on a token `info`
// matches, or names neither an id nor a label (it would match every key).
std::optional<KeyRef> parse_key_uri(std::string_view uri, const CK_TOKEN_INFO& info);

// A token label without the blank padding of CK_TOKEN_INFO.
std::string token_label(const CK_TOKEN_INFO& info);

}  // namespace recrypt::pkcs11
