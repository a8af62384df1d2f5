// jcd::read_header and jcd::Metadata::from_json on arbitrary bytes.
#include <cstdlib>

#include "protocol/jcd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  recrypt::ByteView input(data, size);
  try {
    MemorySource source(input);
    BufferedInput in(source, 4096);
    jcd::Header h = jcd::read_header(in);
    (void)h.envelope.serialize();
  } catch (const Error&) {
  }
  try {
    jcd::Metadata m = jcd::Metadata::from_json(input);
    // What parsed writes back out and parses to the same values.
    jcd::Metadata again = jcd::Metadata::from_json(m.to_json());
    if (again.payload_key != m.payload_key || again.info.name != m.info.name ||
        again.info.media_type != m.info.media_type || again.info.created != m.info.created)
      std::abort();
  } catch (const Error&) {
  }
  return 0;
}
