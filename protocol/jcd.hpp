// The .jcd controlled-document format (docs/FORMAT.md is its specification):
//   line 1  "recrypt.jcd/v1"
//   line 2  a JWE (jwe.hpp) whose plaintext is the metadata JSON below
//   then    the payload in segments: 64 KiB of plaintext each, AES-256-GCM under the payload
//           key, nonce = 11-byte big-endian counter || 1 on the last segment else 0, associated
//           data = SHA-256 of the two header lines; every segment but the last is full; an
//           empty payload is one empty last segment.
// The associated data makes every byte of the header count: JWE leaves a recipient's
// per-recipient header ("kid", "recrypt") unauthenticated, the payload does not.
// Reading releases a segment only after it authenticated; truncation, reordering and
// trailing data are detected.
// Large payloads are sealed and opened on several threads (segment_pipeline.hpp), with the
// same output and the same errors, in the same order, as one thread gives.
#pragma once

#include <array>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/jwe.hpp"
#include "protocol/primitives.hpp"
#include "protocol/stream.hpp"

namespace recrypt::jcd {

inline constexpr std::string_view kMagic = "recrypt.jcd/v1";
inline constexpr std::string_view kMetadataType = "application/recrypt-jcd-metadata+json";
inline constexpr std::size_t kSegmentSize = 64 * 1024;
inline constexpr std::size_t kMaxMetadataSize = 4096;
inline constexpr std::size_t kMaxTextField = 255;

// Descriptive fields a sender may add; all optional.
struct FileInfo {
  std::optional<std::string> name;        // a file name, no path: no '/', no NUL, not "." or ".."
  std::optional<std::string> media_type;  // e.g. "text/plain"
  std::optional<std::string> created;     // RFC 3339 time
};

struct Metadata {
  SecureBytes payload_key;  // 32 bytes
  std::size_t segment_size = kSegmentSize;
  FileInfo info;

  SecureBytes to_json() const;
  static Metadata from_json(ByteView text);  // strict: unknown fields and bad values refused
};

// SHA-256 of the header (line 1 and line 2 with their LFs): every segment's associated data.
using HeaderDigest = std::array<std::uint8_t, 32>;
HeaderDigest header_digest(std::string_view header_lines);

// The cryptography of one payload's segments (§5 of docs/FORMAT.md): what Encryptor and
// Decryptor do to each segment, the one home of those rules. It holds an AES-GCM context,
// which is not shared between threads: one SegmentCipher per thread.
class SegmentCipher {
 public:
  SegmentCipher(ByteView payload_key, const HeaderDigest& header);
  // Seals segment `counter` (at most one segment of plaintext) into out, which is exactly
  // plaintext.size() + 16 bytes: ciphertext || tag.
  void seal(std::uint64_t counter, bool last, ByteView plaintext, std::span<std::uint8_t> out);
  // Opens chunk `counter` as a reader cut it (`last`: the input ended inside it or right after
  // it) into out, exactly sealed.size() - 16 bytes. Error(truncated) or Error(decrypt_failed),
  // or Error(malformed) for an empty last segment after data, as §5 says; out is wiped then.
  void open(std::uint64_t counter, bool last, ByteView sealed, std::span<std::uint8_t> out);

 private:
  Aes256Gcm gcm_;
  HeaderDigest header_;
};

class SegmentPipeline;
struct SegmentBatch;

// How many threads seal and open a large payload: RECRYPT_THREADS if set (1 to
// kMaxThreads), else the machine's hardware threads (at least 1, at most kMaxThreads).
inline constexpr unsigned kMaxThreads = 64;
unsigned default_threads();

// A payload of up to this many segments is sealed and opened on the calling thread alone;
// the threads start only once the payload goes on past them (the reasons: docs/DECISIONS.md).
inline constexpr std::uint64_t kSerialSegments = 4;

// Writes a .jcd: the header at construction, then the payload as it is given.
class Encryptor {
 public:
  // threads: 0 for default_threads().
  Encryptor(Sink& out, const std::vector<jwe::RecipientSpec>& recipients, const FileInfo& info = {},
            unsigned threads = 0);
  ~Encryptor();
  void update(ByteView plaintext);
  // Reads once from `in` straight into the payload (no copy on the many-thread path); the
  // bytes read, 0 at the end of `in`.
  std::size_t read_from(Source& in);
  void finish();  // writes the last segment; required, once
  // Reads `in_fd` from its position to its end and finishes: the whole payload. `out_fd` is
  // the descriptor the sink writes to, unbuffered. When both are regular files and the output
  // one nobody can see before it is complete (an unnamed file), past the first segments every
  // thread reads and writes its own segments at their offsets (positional_payload.hpp).
  // `progress` gets the bytes read. Returns the bytes of plaintext.
  std::uint64_t seal_file(int in_fd, int out_fd,
                          const std::function<void(std::uint64_t)>& progress = {});

 private:
  void emit(bool last);
  void seal_segment(ByteView segment, bool last);
  void start_pipeline();
  std::size_t read_batch(Source& in);
  void submit(std::unique_ptr<SegmentBatch> batch);
  void write_done(bool wait);
  Sink& out_;
  SecureBytes key_;
  std::string header_;  // line 1 and line 2
  HeaderDigest header_digest_{};
  SegmentCipher cipher_;
  SecureBytes plain_;
  SecureBytes staging_;  // what read_from() reads while plain_ waits for its lookahead
  Bytes sealed_;
  std::size_t filled_ = 0;
  std::uint64_t counter_ = 0;
  bool finished_ = false;
  unsigned threads_;
  std::vector<SegmentCipher> worker_ciphers_;
  std::unique_ptr<SegmentPipeline> pipeline_;  // after what its workers use
  std::unique_ptr<SegmentBatch> batch_;        // being filled
};

// The header of a .jcd: what the agent needs to find the payload key.
struct Header {
  jwe::Envelope envelope;
  HeaderDigest digest;     // what the payload segments are bound to
  std::uint64_t size = 0;  // bytes of line 1 and line 2: where the payload begins
};

// Reads and checks line 1 and line 2.
Header read_header(BufferedInput& in);

// Decrypts the JWE content with its content key and checks the metadata.
Metadata open_metadata(const jwe::Envelope& envelope, ByteView content_key);

// Reads the payload after read_header, segment by segment.
class Decryptor {
 public:
  // threads: 0 for default_threads().
  Decryptor(BufferedInput& in, const Metadata& metadata, const HeaderDigest& header,
            unsigned threads = 0);
  ~Decryptor();
  // The next authenticated plaintext: one segment or several in a row (valid until the next
  // call), or nullopt after the last one. Error(decrypt_failed) on tampering,
  // Error(truncated) on a cut-off file, after every segment before the failing one was
  // returned; later calls repeat the error.
  std::optional<ByteView> next();
  // Writes every segment to `out` (next() after next()), or, past the first segments, lets
  // every thread read and write its own at their offsets (positional_payload.hpp): `in_fd`
  // is the regular file whose byte `payload_offset` begins the payload, `out_fd` the one
  // `out` writes to, unbuffered, a regular file nobody can see before it is complete (an
  // unnamed file). Same errors as next(). `progress` gets the bytes read. Returns the bytes
  // of plaintext.
  std::uint64_t open_file(int in_fd, std::uint64_t payload_offset, Sink& out, int out_fd,
                          const std::function<void(std::uint64_t)>& progress = {});

 private:
  std::optional<ByteView> next_serial();
  std::optional<ByteView> next_parallel();
  void start_pipeline();
  void read_batches();
  BufferedInput& in_;
  SecureBytes key_;
  HeaderDigest header_;
  SegmentCipher cipher_;
  Bytes sealed_;
  SecureBytes plain_;
  std::uint64_t counter_ = 0;  // the next segment to read
  bool have_lookahead_ = false;
  bool done_ = false;                 // the last segment was read
  std::exception_ptr failed_;         // thrown to the caller: every later call throws it again
  std::exception_ptr read_error_;     // the input failed after the batches in flight
  std::exception_ptr pending_error_;  // a batch failed after the segments just returned
  unsigned threads_;
  std::vector<SegmentCipher> worker_ciphers_;
  std::unique_ptr<SegmentPipeline> pipeline_;  // after what its workers use
  std::unique_ptr<SegmentBatch> released_;     // what the last next() returned
};

// The STREAM nonce of segment `counter`.
std::array<std::uint8_t, kGcmNonceSize> segment_nonce(std::uint64_t counter, bool last);

}  // namespace recrypt::jcd
