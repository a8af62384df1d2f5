// Proxy re-encryption by Diffie-Hellman key splitting (Blaze-Bleumer-Strauss; the Mesh/Recrypt
// drafts). The administrator holds a, the group publishes A = a·G. A member gets a share x and
// the service the recryption key r = a − x, so that for a sender's T = t·G:
//   the service computes  R = r·T,   the member's device  P = x·T,   and  Z = R + P = a·T = t·A.
#pragma once

#include <array>

#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::recryption {

struct GroupKey {
  Scalar secret;     // a
  Point public_key;  // A = a·G
  static GroupKey generate(const Curve& curve);
};

struct MemberSplit {
  Scalar share;           // x, for the member (wrapped to its devices)
  Scalar recryption_key;  // r = a − x, for the service
};

// A fresh split of `group_secret`; x is redrawn when r would be zero.
MemberSplit split(const Scalar& group_secret);

// The service's half: R = r·T.
Point partial(const Scalar& recryption_key, const Point& ephemeral);

// The member's combine: Z = R + P.
Point combine(const Point& service_partial, const Point& device_partial);

// When the device returns only the x-coordinate of P (PKCS#11 ECDH1_DERIVE), P is one of the
// two points with that x; the result is then one of R + P and R − P. The caller tries both
// and keeps the one that opens the envelope (AES key wrap's integrity check decides).
std::array<Point, 2> combine_candidates(const Point& service_partial, ByteView device_partial_x);

}  // namespace recrypt::recryption
