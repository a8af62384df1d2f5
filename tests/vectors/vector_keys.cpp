#include "tests/vectors/vector_keys.hpp"

#include "protocol/error.hpp"

namespace recrypt::vectors {

Bytes decrypt_jcd(ByteView file, const Opener& open_recipient) {
  MemorySource source(file);
  BufferedInput in(source);
  jcd::Header header = jcd::read_header(in);
  for (const auto& recipient : header.envelope.recipients) {
    auto cek = open_recipient(recipient);
    if (!cek) continue;
    jcd::Metadata metadata = jcd::open_metadata(header.envelope, *cek);
    jcd::Decryptor decryptor(in, metadata, header.digest);
    Bytes out;
    while (auto segment = decryptor.next()) out.insert(out.end(), segment->begin(), segment->end());
    return out;
  }
  fail(Errc::decrypt_failed, "no recipient opened");
}

}  // namespace recrypt::vectors
