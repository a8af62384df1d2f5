// The .jcd payload sealed or opened between two regular files by every thread at once, each
// reading and writing its own batch of segments at their offsets (pread, pwrite), so that the
// kernel's copies run on every core too, not only the cryptography.
//
// Only for an output nobody can see before it is complete (an unnamed file, linked once the
// whole payload authenticated): batches finish out of order, so the file has holes and
// segments past a failure for a while. What the caller gets is what one thread reading in
// order gives: the payload ends at the first batch, in file order, whose read came up short
// (its segments and one byte more: the serial reader's lookahead), never at what fstat says,
// and the error is that of the first failing segment in file order, with the same text. The
// output is cut to the end of the payload; the batches read past it are dropped. A file that
// grows or shrinks while it is read gives a payload that ends somewhere or a clear error,
// never a crash or a hang; nothing is mapped, so a shrinking file cannot raise SIGBUS.
#pragma once

#include <cstdint>
#include <functional>

#include "protocol/jcd.hpp"

namespace recrypt::jcd {

enum class PayloadWork { seal, open };

struct PositionalJob {
  PayloadWork work = PayloadWork::seal;
  int in_fd = -1;
  std::uint64_t in_offset = 0;  // where segment `first` begins (plaintext or sealed)
  int out_fd = -1;
  std::uint64_t out_offset = 0;  // where segment `first`'s output goes
  std::uint64_t first = 0;       // counter of the first segment
  unsigned threads = 1;
};

struct PositionalResult {
  std::uint64_t read = 0;     // bytes of input from in_offset to the payload's end
  std::uint64_t written = 0;  // bytes of output from out_offset; the file ends there
};

// Runs `job` on job.threads threads; `progress` (bytes of input done) is called on the
// calling thread. Throws the first failing segment's error (SegmentCipher's), Error(io) for
// the files, or Error(io) when plaintext to seal shrank under a segment already read.
PositionalResult run_positional(const PositionalJob& job, ByteView payload_key,
                                const HeaderDigest& header,
                                const std::function<void(std::uint64_t)>& progress);

}  // namespace recrypt::jcd
