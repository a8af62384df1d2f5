// jwk::to_public (and to_private) on arbitrary JSON text.
#include <cstdlib>

#include "protocol/jwk.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    Point p = jwk::to_public(json::parse(text, 64 * 1024, "JWK"));
    // A key that parsed converts back to a JWK that names the same point.
    if (!(jwk::to_public(jwk::from_public(p)) == p)) std::abort();
  } catch (const Error&) {
  }
  try {
    Scalar k = jwk::to_private(json::parse_secret(text, 64 * 1024, "JWK"));
    if (!(jwk::to_private(jwk::from_private(k)).equals(k))) std::abort();
  } catch (const Error&) {
  }
  return 0;
}
