// Bech32 (BIP-173) as age writes its recipients and identities: one case throughout, the
// checksum over the human-readable part and the data, no 90-character limit (an age
// recipient carries more than BIP-173's addresses). Strict: mixed case, a bad checksum,
// characters outside the alphabet and padding bits that are not zero are refused, each with
// Error(malformed) saying which.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::bech32 {

// What a string carries: the human-readable part (lowercased) and the data, 8-bit bytes
// regrouped from the 5-bit groups.
struct Decoded {
  std::string hrp;
  Bytes data;
};

// Bech32 strings longer than this are refused before any work: no recrypt recipient comes near.
inline constexpr std::size_t kMaxLength = 1024;

// Lowercase Bech32 of `data` under `hrp` (which must be 1..83 printable ASCII characters,
// no uppercase); Error(malformed) otherwise.
std::string encode(std::string_view hrp, ByteView data);
// The same, uppercased: age identities are written in capitals.
std::string encode_upper(std::string_view hrp, ByteView data);

Decoded decode(std::string_view text);

// Bech32 of 5-bit groups as they are (each below 32): for tests that need data no encode()
// makes, such as padding bits that are not zero.
std::string encode_groups(std::string_view hrp, const std::vector<std::uint8_t>& groups);

// The checksum alone, over 5-bit groups: for the BIP-173 vectors, which carry data that are
// not whole bytes.
bool verify_groups(std::string_view text);

}  // namespace recrypt::bech32
