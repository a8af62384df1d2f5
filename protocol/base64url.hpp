// Base64url without padding (RFC 7515 §2), strict: one encoding per value, anything else is
// Errc::malformed. Every JOSE field goes through here.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt::base64url {

std::string encode(ByteView data);
Bytes decode(std::string_view text);
SecureBytes decode_secret(std::string_view text);  // for private key material

}  // namespace recrypt::base64url
