// udf::normalize and udf::matches on arbitrary text, against a fixed fingerprint.
#include <cstdlib>

#include "base/error.hpp"
#include "protocol/udf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  static const std::string full = udf::fingerprint("text/plain", as_bytes("UDF Data Value"), 200);
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string normal;
  bool ok = true;
  try {
    normal = udf::normalize(text);
  } catch (const Error&) {
    ok = false;
  }
  bool m1 = udf::matches(full, text);
  bool m2 = udf::matches(text, full);
  if (m1 != m2) std::abort();  // symmetric by definition
  if (m1) {
    // A match is a prefix relation of at least 100 bits.
    std::string f = udf::normalize(full);
    std::size_t n = std::min(f.size(), normal.size());
    if (!ok || n < 20 || f.compare(0, n, normal, 0, n) != 0) std::abort();
  }
  if (ok) {
    for (char c : normal)
      if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) std::abort();
    (void)udf::fingerprint(text.substr(0, 64), ByteView(data, size));
  }
  return 0;
}
