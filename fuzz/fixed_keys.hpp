// Fixed keys the fuzz targets and their seed generator share, so that seeds open and the
// fuzzer can reach past the cryptographic checks into the framing behind them.
#pragma once

#include <cstdint>

#include "base/bytes.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::fuzz {

// The group secret a of the seed .jcd files: 01 02 ... 20.
inline Scalar group_secret() {
  Bytes d(32);
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::uint8_t>(i + 1);
  return Scalar::from_bytes(Curve::p256(), d);
}

// The payload key of bare segment streams: 32 bytes of 0x42.
inline Bytes payload_key() { return Bytes(32, 0x42); }

// The key the JWS seeds are signed with: 0x11 repeated.
inline Scalar signing_key() { return Scalar::from_bytes(Curve::p256(), Bytes(32, 0x11)); }

// The PKCS#11 token key the sealed-blob seeds are sealed to: 0x33 repeated.
inline Scalar token_key() { return Scalar::from_bytes(Curve::p256(), Bytes(32, 0x33)); }

inline const char* kFullFileMagic = "recrypt.jcd/v1\n";

}  // namespace recrypt::fuzz
