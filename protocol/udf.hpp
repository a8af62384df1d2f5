// UDF fingerprints (draft-hallambaker-udf-13), content-digest form:
//   TCDV = H(UTF8(content type) || ":" || H(data)),  binary = type byte || TCDV,
// Base32 (RFC 4648, no padding) cut to the precision and grouped by four with dashes.
// H is SHA-2-512 (type byte 0x60) by default, SHA-3-512 (0x50) on request.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace recrypt {
class Point;
}

namespace recrypt::udf {

enum class Hash { sha2_512, sha3_512 };

inline constexpr int kDefaultBits = 140;   // 28 characters
inline constexpr int kMinMatchBits = 100;  // shortest prefix a user may type: 20 characters
inline constexpr std::string_view kPublicKeyType = "application/pkix-keyinfo";

std::string fingerprint(std::string_view content_type, ByteView data, int bits = kDefaultBits,
                        Hash hash = Hash::sha2_512);

// The fingerprint of a public key: content type application/pkix-keyinfo over its DER
// SubjectPublicKeyInfo.
std::string key_fingerprint(const Point& public_key, int bits = kDefaultBits);

// Upper-case letters and digits without the dashes; Errc::malformed on characters outside
// the Base32 alphabet.
std::string normalize(std::string_view udf);

// True when `typed` (any case, dashes optional, at least kMinMatchBits long) names `full`:
// `typed` is a prefix of `full`, or `full` a prefix of `typed` (a longer form of it).
bool matches(std::string_view full, std::string_view typed);

std::string base32(ByteView data);  // RFC 4648 alphabet, no padding

}  // namespace recrypt::udf
