// jwe::Envelope::parse on arbitrary text. A parsed envelope must serialize and parse again
// to the same text; only recrypt::Error may escape.
#include <cstdlib>

#include "protocol/jwe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    jwe::Envelope e = jwe::Envelope::parse(text);
    std::string once = e.serialize();
    jwe::Envelope again = jwe::Envelope::parse(once);
    if (again.serialize() != once) std::abort();
  } catch (const Error&) {
  }
  return 0;
}
