// The .jcd decryptor on arbitrary bytes, with fixed keys. Input that starts with the magic
// line is a whole file, opened with the fixed group secret; anything else is a bare segment
// stream under the fixed payload key and an all-zero header digest. Whatever is released must have
// authenticated, so with a fixed key the fuzzer mostly explores framing: lengths, truncation,
// lookahead.
#include <cstdlib>
#include <cstring>

#include "fuzz/fixed_keys.hpp"
#include "protocol/jcd.hpp"

namespace {

void drain(recrypt::BufferedInput& in, const recrypt::jcd::Metadata& m,
           const recrypt::jcd::HeaderDigest& header) {
  recrypt::jcd::Decryptor dec(in, m, header, 1);  // one thread: one segment per next()
  std::size_t total = 0;
  while (auto segment = dec.next()) {
    if (segment->size() > m.segment_size) std::abort();
    total += segment->size();
  }
  if (dec.next().has_value()) std::abort();
  (void)total;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  static const Scalar group = fuzz::group_secret();
  std::size_t magic = std::strlen(fuzz::kFullFileMagic);
  try {
    MemorySource source(ByteView(data, size));
    BufferedInput in(source);
    if (size >= magic && std::memcmp(data, fuzz::kFullFileMagic, magic) == 0) {
      jcd::Header h = jcd::read_header(in);
      jcd::Metadata m = jcd::Metadata::from_json(jwe::open_with_private_key(h.envelope, group));
      drain(in, m, h.digest);
    } else {
      jcd::Metadata m;
      Bytes key = fuzz::payload_key();
      m.payload_key.assign(key.begin(), key.end());
      drain(in, m, recrypt::jcd::HeaderDigest{});
    }
  } catch (const Error&) {
  }
  return 0;
}
