// JSON Web Keys (RFC 7517/7518 §6.2) for EC keys: {"kty":"EC","crv":"P-256","x":..,"y":..}
// with "d" for a private key. Parsing checks everything: key type, curve, coordinate lengths,
// the point lies on the curve, and a private "d" matches its public x, y.
#pragma once

#include "protocol/json.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::jwk {

Json from_public(const Point& key);
Point to_public(const Json& jwk);

// A private JWK carries the secret in its strings: it lives in a SecretJson.
SecretJson from_private(const Scalar& key);
Scalar to_private(const SecretJson& jwk);

}  // namespace recrypt::jwk
