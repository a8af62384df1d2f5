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
#pragma once

#include <array>
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

// Writes a .jcd: the header at construction, then the payload as it is given.
class Encryptor {
 public:
  Encryptor(Sink& out, const std::vector<jwe::RecipientSpec>& recipients,
            const FileInfo& info = {});
  void update(ByteView plaintext);
  void finish();  // writes the last segment; required, once

 private:
  void emit(bool last);
  void seal_segment(ByteView segment, bool last);
  Sink& out_;
  SecureBytes key_;
  Aes256Gcm gcm_;
  SecureBytes plain_;
  Bytes sealed_;
  std::size_t filled_ = 0;
  HeaderDigest header_digest_{};
  std::uint64_t counter_ = 0;
  bool finished_ = false;
};

// The header of a .jcd: what the agent needs to find the payload key.
struct Header {
  jwe::Envelope envelope;
  HeaderDigest digest;  // what the payload segments are bound to
};

// Reads and checks line 1 and line 2.
Header read_header(BufferedInput& in);

// Decrypts the JWE content with its content key and checks the metadata.
Metadata open_metadata(const jwe::Envelope& envelope, ByteView content_key);

// Reads the payload after read_header, segment by segment.
class Decryptor {
 public:
  Decryptor(BufferedInput& in, const Metadata& metadata, const HeaderDigest& header);
  // The next authenticated plaintext segment (valid until the next call), or nullopt after
  // the last one. Error(decrypt_failed) on tampering, Error(truncated) on a cut-off file.
  std::optional<ByteView> next();

 private:
  BufferedInput& in_;
  Aes256Gcm gcm_;
  std::size_t segment_size_;
  HeaderDigest header_;
  Bytes sealed_;
  SecureBytes plain_;
  std::uint64_t counter_ = 0;
  bool have_lookahead_ = false;
  bool done_ = false;
};

// The STREAM nonce of segment `counter`.
std::array<std::uint8_t, kGcmNonceSize> segment_nonce(std::uint64_t counter, bool last);

}  // namespace recrypt::jcd
