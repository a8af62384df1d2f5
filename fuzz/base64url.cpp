// base64url::decode on arbitrary text: whatever decodes must be the one canonical encoding
// of its bytes, and the secret variant must agree.
#include <cstdlib>

#include "protocol/base64url.hpp"
#include "base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool decoded = false;
  Bytes out;
  try {
    out = base64url::decode(text);
    decoded = true;
  } catch (const Error&) {
  }
  bool decoded_secret = false;
  try {
    SecureBytes s = base64url::decode_secret(text);
    decoded_secret = true;
    if (!decoded || !std::equal(s.begin(), s.end(), out.begin(), out.end())) std::abort();
  } catch (const Error&) {
  }
  if (decoded != decoded_secret) std::abort();
  if (decoded && base64url::encode(out) != text) std::abort();
  // Encoding arbitrary bytes always decodes back.
  if (base64url::decode(base64url::encode(ByteView(data, size))) != Bytes(data, data + size))
    std::abort();
  return 0;
}
