// jws::verify_compact, verify_detached and unverified_header on arbitrary tokens.
#include "fuzz/fixed_keys.hpp"
#include "protocol/jws.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  static const Point key = fuzz::signing_key().public_point();
  std::string_view token(reinterpret_cast<const char*>(data), size);
  try {
    (void)jws::unverified_header(token);
  } catch (const Error&) {
  }
  try {
    (void)jws::verify_compact(token, key);
  } catch (const Error&) {
  }
  try {
    (void)jws::verify_detached(token, as_bytes("payload"), key);
  } catch (const Error&) {
  }
  return 0;
}
