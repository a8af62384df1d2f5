// Base64 (RFC 4648) in its two alphabets: the standard one (§4), with its padding (MIME, PEM)
// or without (age), and the URL one (§5) without padding that every JOSE field uses
// (base64url.hpp). Decoding is strict, so that one text decodes one way: only the alphabet,
// padding only where the variant puts it, unused bits zero (§3.5). Line breaks and other
// framing belong to the container (a MIME body, a PEM block): its reader removes them first.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::base64 {

enum class Padding {
  none,      // the text ends after its last character of data (age, JOSE)
  required,  // '=' up to a multiple of 4 characters (MIME, PEM)
};

std::string encode(ByteView data, Padding padding);
// Error(malformed) "base64: <what is wrong>".
Bytes decode(std::string_view text, Padding padding);
SecureBytes decode_secret(std::string_view text, Padding padding);  // for key material

}  // namespace recrypt::base64
