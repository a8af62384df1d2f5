#include "protocol/jcd.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/json.hpp"
#include "protocol/positional_payload.hpp"
#include "protocol/segment_pipeline.hpp"

namespace recrypt::jcd {
namespace {

constexpr std::string_view kWhat = ".jcd metadata";

void check_text_field(const std::string& value, std::string_view field) {
  if (value.empty() || value.size() > kMaxTextField)
    fail(Errc::malformed,
         std::string(kWhat) + ": \"" + std::string(field) + "\" must be 1 to 255 bytes");
  if (value.find('\0') != std::string::npos)
    fail(Errc::malformed, std::string(kWhat) + ": \"" + std::string(field) + "\" contains NUL");
}

void check_name(const std::string& name) {
  check_text_field(name, "name");
  if (name.find('/') != std::string::npos || name == "." || name == "..")
    fail(Errc::malformed, std::string(kWhat) + ": \"name\" must be a file name without a path");
}

// RFC 3339 §5.6 date-time, with §5.7's ranges: "1985-04-12T23:20:50.52Z",
// "1996-12-19T16:39:57-08:00". As the ABNF has it, "T" and "Z" may be lower case; the
// seconds may be 60 (a leap second).
bool is_rfc3339(std::string_view s) {
  std::size_t at = 0;
  auto number = [&](std::size_t digits, int& out) {
    if (s.size() - at < digits) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      char c = s[at + i];
      if (c < '0' || c > '9') return false;
      out = out * 10 + (c - '0');
    }
    at += digits;
    return true;
  };
  auto literal = [&](std::string_view chars) {
    if (at >= s.size() || chars.find(s[at]) == std::string_view::npos) return false;
    ++at;
    return true;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(4, year) || !literal("-") || !number(2, month) || !literal("-") || !number(2, day))
    return false;
  if (!literal("Tt") || !number(2, hour) || !literal(":") || !number(2, minute) || !literal(":") ||
      !number(2, second))
    return false;
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1] + (month == 2 && leap ? 1 : 0))
    return false;
  if (hour > 23 || minute > 59 || second > 60) return false;
  if (literal(".")) {  // time-secfrac: one digit or more
    int digit = 0;
    if (!number(1, digit)) return false;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') ++at;
  }
  if (literal("Zz")) return at == s.size();
  int offset_hour = 0, offset_minute = 0;
  if (!literal("+-") || !number(2, offset_hour) || !literal(":") || !number(2, offset_minute))
    return false;
  return at == s.size() && offset_hour <= 23 && offset_minute <= 59;
}

void check_created(const std::string& created) {
  check_text_field(created, "created");
  if (!is_rfc3339(created))
    fail(Errc::malformed, std::string(kWhat) + ": \"created\" must be an RFC 3339 date and time");
}

std::optional<std::string> optional_text(const SecretJson& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) return std::nullopt;
  if (!it->is_string())
    fail(Errc::malformed, std::string(kWhat) + ": \"" + key + "\" must be a string");
  const SecureString& s = it->get_ref<const SecureString&>();
  return std::string(s.data(), s.size());
}

}  // namespace

HeaderDigest header_digest(std::string_view header_lines) { return sha256(as_bytes(header_lines)); }

std::array<std::uint8_t, kGcmNonceSize> segment_nonce(std::uint64_t counter, bool last) {
  std::array<std::uint8_t, kGcmNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
  nonce[11] = last ? 1 : 0;
  return nonce;
}

SecureBytes Metadata::to_json() const {
  SecretJson doc = SecretJson::object();
  std::string key_b64 = base64url::encode(payload_key);
  doc["payload_key"] = SecureString(key_b64);
  secure_wipe(key_b64.data(), key_b64.size());
  doc["segment_size"] = segment_size;
  if (info.name) doc["name"] = SecureString(*info.name);
  if (info.media_type) doc["media_type"] = SecureString(*info.media_type);
  if (info.created) doc["created"] = SecureString(*info.created);
  SecureString text = doc.dump();
  return SecureBytes(text.begin(), text.end());
}

Metadata Metadata::from_json(ByteView text) {
  SecretJson doc = json::parse_secret(as_chars(text), kMaxMetadataSize, kWhat);
  if (!doc.is_object()) fail(Errc::malformed, std::string(kWhat) + " is not a JSON object");
  for (const auto& item : doc.items()) {
    const auto& k = item.key();
    if (k != "payload_key" && k != "segment_size" && k != "name" && k != "media_type" &&
        k != "created")
      fail(Errc::malformed, std::string(kWhat) + " has an unknown field \"" +
                                std::string(k.data(), k.size()) + "\"");
  }
  Metadata m;
  const SecureString& key_b64 = json::secret_string_field(doc, "payload_key", kWhat);
  m.payload_key = base64url::decode_secret({key_b64.data(), key_b64.size()});
  if (m.payload_key.size() != kAes256KeySize)
    fail(Errc::malformed, std::string(kWhat) + ": payload key must be 32 bytes");
  auto size = doc.find("segment_size");
  if (size == doc.end() || !size->is_number_unsigned() ||
      size->get<std::uint64_t>() != kSegmentSize)
    fail(Errc::unsupported, std::string(kWhat) + ": segment size must be 65536 in version 1");
  m.info.name = optional_text(doc, "name");
  m.info.media_type = optional_text(doc, "media_type");
  m.info.created = optional_text(doc, "created");
  if (m.info.name) check_name(*m.info.name);
  if (m.info.media_type) check_text_field(*m.info.media_type, "media_type");
  if (m.info.created) check_created(*m.info.created);
  return m;
}

namespace {

SecureBytes fresh_key() {
  SecureBytes key(kAes256KeySize);
  ossl::check(RAND_priv_bytes(key.data(), static_cast<int>(key.size())) == 1, "RAND_priv_bytes");
  return key;
}

constexpr std::size_t kSealedSegment = kSegmentSize + kGcmTagSize;

// Batches in flight and segments per batch for `threads` workers: one batch on each worker
// and two waiting, so that no worker waits for the reader; about 64 segments (4 MiB of
// plaintext) in flight whatever the number of threads, in batches of up to 16 segments so
// that reads and writes are large. With the batch being filled and the one being written,
// that bounds the memory at about 12 MiB (up to 68 segments sealed and opened).
std::size_t batches_in_flight(unsigned threads) { return std::size_t{threads} + 2; }
std::size_t segments_per_batch(unsigned threads) {
  return std::clamp<std::size_t>(64 / batches_in_flight(threads), 1, 16);
}

unsigned thread_count(unsigned requested) { return requested == 0 ? default_threads() : requested; }

std::vector<SegmentCipher> ciphers(unsigned threads, ByteView key, const HeaderDigest& header) {
  std::vector<SegmentCipher> out;
  out.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) out.emplace_back(key, header);
  return out;
}

}  // namespace

unsigned default_threads() {
  const char* forced = std::getenv("RECRYPT_THREADS");
  if (forced != nullptr && *forced != '\0') {  // set and empty is unset
    char* end = nullptr;
    unsigned long n = std::strtoul(forced, &end, 10);
    if (*end != '\0' || n < 1 || n > kMaxThreads)
      fail(Errc::malformed, "RECRYPT_THREADS must be a number from 1 to 64");
    return static_cast<unsigned>(n);
  }
  return std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
}

SegmentCipher::SegmentCipher(ByteView payload_key, const HeaderDigest& header)
    : gcm_(payload_key), header_(header) {}

void SegmentCipher::seal(std::uint64_t counter, bool last, ByteView plaintext,
                         std::span<std::uint8_t> out) {
  if (plaintext.size() > kSegmentSize || out.size() != plaintext.size() + kGcmTagSize)
    fail(Errc::internal, ".jcd segment sealed into a buffer of the wrong size");
  auto tag =
      gcm_.seal(segment_nonce(counter, last), header_, plaintext, out.first(plaintext.size()));
  std::memcpy(out.data() + plaintext.size(), tag.data(), tag.size());
}

void SegmentCipher::open(std::uint64_t counter, bool last, ByteView sealed,
                         std::span<std::uint8_t> out) {
  if (sealed.size() < kGcmTagSize)
    fail(Errc::truncated, counter == 0 ? ".jcd file has no payload" : ".jcd file is truncated");
  const std::size_t body = sealed.size() - kGcmTagSize;
  if (body > kSegmentSize || out.size() != body)
    fail(Errc::internal, ".jcd segment opened into a buffer of the wrong size");
  ByteView ct = sealed.first(body);
  ByteView tag = sealed.subspan(body);
  if (!gcm_.open(segment_nonce(counter, last), header_, ct, tag, out)) {
    // A full final segment that opens as a middle one means the file was cut at a segment
    // boundary: say so, rather than the vaguer "altered".
    const bool cut = last && body == kSegmentSize &&
                     gcm_.open(segment_nonce(counter, false), header_, ct, tag, out);
    // Likewise a full segment with more behind it that opens as the last one: the file goes
    // on after its end.
    const bool appended =
        !cut && !last && gcm_.open(segment_nonce(counter, true), header_, ct, tag, out);
    secure_wipe(out.data(), out.size());
    if (cut) fail(Errc::truncated, ".jcd file is truncated at a segment boundary");
    if (appended) fail(Errc::decrypt_failed, ".jcd file has data after its last segment");
    fail(Errc::decrypt_failed, ".jcd segment " + std::to_string(counter) +
                                   " does not authenticate (the file was altered)");
  }
  if (last && body == 0 && counter != 0)
    fail(Errc::malformed, ".jcd file has an empty last segment after data");
}

namespace {

// Line 1 and line 2 of a new .jcd, for a payload under `key`.
std::string new_header(const SecureBytes& key, const std::vector<jwe::RecipientSpec>& recipients,
                       const FileInfo& info) {
  if (info.name) check_name(*info.name);
  if (info.media_type) check_text_field(*info.media_type, "media_type");
  if (info.created) check_created(*info.created);
  Metadata metadata{secure_copy(key), kSegmentSize, info};
  SecureBytes metadata_json = metadata.to_json();
  jwe::Envelope envelope = jwe::encrypt(metadata_json, recipients, std::string(kMetadataType));
  return std::string(kMagic) + "\n" + envelope.serialize() + "\n";
}

}  // namespace

Encryptor::Encryptor(Sink& out, const std::vector<jwe::RecipientSpec>& recipients,
                     const FileInfo& info, unsigned threads)
    : out_(out),
      key_(fresh_key()),
      header_(new_header(key_, recipients, info)),
      header_digest_(header_digest(header_)),
      cipher_(key_, header_digest_),
      plain_(kSegmentSize),
      sealed_(kSealedSegment),
      threads_(thread_count(threads)) {
  out_.write(as_bytes(header_));
}

// Out of line: SegmentPipeline and SegmentBatch are complete only here.
Encryptor::~Encryptor() = default;

void Encryptor::seal_segment(ByteView segment, bool last) {
  auto sealed = std::span(sealed_).first(segment.size() + kGcmTagSize);
  cipher_.seal(counter_, last, segment, sealed);
  out_.write(sealed);
  ++counter_;
}

void Encryptor::emit(bool last) {
  seal_segment(ByteView(plain_.data(), filled_), last);
  filled_ = 0;
}

void Encryptor::start_pipeline() {
  worker_ciphers_ = ciphers(threads_, key_, header_digest_);
  const std::size_t per_batch = segments_per_batch(threads_);
  pipeline_ = std::make_unique<SegmentPipeline>(
      threads_, batches_in_flight(threads_),
      [this, per_batch](std::size_t worker, SegmentBatch& b) {
        SegmentCipher& cipher = worker_ciphers_[worker];
        const std::size_t count = (b.input_size + kSegmentSize - 1) / kSegmentSize;
        for (std::size_t i = 0; i < count && i < per_batch; ++i) {
          const std::size_t at = i * kSegmentSize;
          ByteView plain(b.input.data() + at, std::min(kSegmentSize, b.input_size - at));
          cipher.seal(b.first + i, b.ends && i + 1 == count, plain,
                      std::span(b.output).subspan(i * kSealedSegment, plain.size() + kGcmTagSize));
        }
        b.output_size = b.input_size + count * kGcmTagSize;
      });
  batch_ = pipeline_->take();
  batch_->input.resize(per_batch * kSegmentSize);
  batch_->output.resize(per_batch * kSealedSegment);
  batch_->first = counter_;
  // What the serial path holds is a segment with data behind it.
  std::memcpy(batch_->input.data(), plain_.data(), filled_);
  batch_->input_size = filled_;
  filled_ = 0;
}

// Writes the batches done, oldest first; with `wait`, the oldest one at least.
void Encryptor::write_done(bool wait) {
  while (!pipeline_->empty() && (wait || pipeline_->oldest_done())) {
    std::unique_ptr<SegmentBatch> b = pipeline_->wait_oldest();
    if (b->error) std::rethrow_exception(b->error);
    out_.write(ByteView(b->output.data(), b->output_size));
    pipeline_->give_back(std::move(b));
    wait = false;
  }
}

void Encryptor::submit(std::unique_ptr<SegmentBatch> batch) {
  if (pipeline_->full()) write_done(true);
  pipeline_->submit(std::move(batch));
  write_done(false);
}

std::size_t Encryptor::read_batch(Source& in) {
  if (batch_->input_size < batch_->input.size()) {
    std::size_t n =
        in.read_some(std::span(batch_->input)
                         .subspan(batch_->input_size, batch_->input.size() - batch_->input_size));
    batch_->input_size += n;
    return n;
  }
  // A full batch goes to the workers only once more data arrives: until then it may hold the
  // last segment. The data goes straight into the next batch.
  std::unique_ptr<SegmentBatch> next = pipeline_->take();
  next->input.resize(batch_->input.size());
  next->output.resize(batch_->output.size());
  std::size_t n = in.read_some(next->input);
  if (n == 0) {
    pipeline_->give_back(std::move(next));
    return 0;
  }
  next->first = batch_->first + batch_->input.size() / kSegmentSize;
  next->input_size = n;
  std::unique_ptr<SegmentBatch> full = std::move(batch_);
  batch_ = std::move(next);
  submit(std::move(full));
  return n;
}

void Encryptor::update(ByteView plaintext) {
  if (finished_) fail(Errc::internal, ".jcd encryptor used after finish");
  while (!plaintext.empty()) {
    if (pipeline_) {
      MemorySource rest(plaintext);
      while (read_batch(rest) > 0) {
      }
      return;
    }
    // A full segment is sealed only once more data arrives: until then it may be the last.
    // Past the first few segments, the rest goes to the threads.
    if (filled_ == kSegmentSize || (filled_ == 0 && plaintext.size() > kSegmentSize)) {
      if (threads_ > 1 && counter_ >= kSerialSegments) {
        start_pipeline();
        continue;
      }
    }
    if (filled_ == kSegmentSize) emit(false);
    // A whole segment of the caller's data with more behind it cannot be the last one:
    // seal it where it is rather than copy it in first.
    if (filled_ == 0 && plaintext.size() > kSegmentSize) {
      seal_segment(plaintext.first(kSegmentSize), false);
      plaintext = plaintext.subspan(kSegmentSize);
      continue;
    }
    std::size_t take = std::min(kSegmentSize - filled_, plaintext.size());
    std::memcpy(plain_.data() + filled_, plaintext.data(), take);
    filled_ += take;
    plaintext = plaintext.subspan(take);
  }
}

std::size_t Encryptor::read_from(Source& in) {
  if (finished_) fail(Errc::internal, ".jcd encryptor used after finish");
  if (!pipeline_ && filled_ == kSegmentSize && threads_ > 1 && counter_ >= kSerialSegments)
    start_pipeline();
  if (pipeline_) return read_batch(in);
  if (filled_ < kSegmentSize) {
    std::size_t n = in.read_some(std::span(plain_).subspan(filled_, kSegmentSize - filled_));
    filled_ += n;
    return n;
  }
  // A full segment waits for the next byte to know whether it is the last one.
  if (staging_.empty()) staging_.resize(kSegmentSize);
  std::size_t n = in.read_some(staging_);
  update(ByteView(staging_.data(), n));
  return n;
}

void Encryptor::finish() {
  if (finished_) fail(Errc::internal, ".jcd encryptor finished twice");
  if (pipeline_) {
    batch_->ends = true;
    submit(std::move(batch_));
    while (!pipeline_->empty()) write_done(true);
    pipeline_.reset();
  } else {
    emit(true);
  }
  finished_ = true;
}

std::uint64_t Encryptor::seal_file(int in_fd, int out_fd,
                                   const std::function<void(std::uint64_t)>& progress) {
  FdSource source(in_fd);
  std::uint64_t total = 0;
  // The first segments on this thread, in order, as read_from() does: a small file never
  // starts a thread.
  while (threads_ == 1 || pipeline_ || filled_ < kSegmentSize || counter_ < kSerialSegments) {
    const std::size_t n = read_from(source);
    if (n == 0) {
      finish();
      return total;
    }
    total += n;
    if (progress) progress(n);
  }
  struct stat in_st {};
  struct stat out_st {};
  const off_t in_at = ::lseek(in_fd, 0, SEEK_CUR);
  const off_t out_at = ::lseek(out_fd, 0, SEEK_CUR);
  if (::fstat(in_fd, &in_st) != 0 || ::fstat(out_fd, &out_st) != 0 || !S_ISREG(in_st.st_mode) ||
      !S_ISREG(out_st.st_mode) || in_at < static_cast<off_t>(filled_) || out_at < 0) {
    while (const std::size_t n = read_from(source)) {  // in order, as a pipe is read
      total += n;
      if (progress) progress(n);
    }
    finish();
    return total;
  }
  // plain_ holds segment counter_, read whole: it is read again at its offset.
  const PositionalJob job{PayloadWork::seal,
                          in_fd,
                          static_cast<std::uint64_t>(in_at) - filled_,
                          out_fd,
                          static_cast<std::uint64_t>(out_at),
                          counter_,
                          threads_};
  finished_ = true;
  const PositionalResult result = run_positional(job, key_, header_digest_, progress);
  return total - filled_ + result.read;
}

Header read_header(BufferedInput& in) {
  auto magic = in.read_line(kMagic.size() + 64);
  if (!magic) fail(Errc::truncated, "input is empty, not a .jcd file");
  if (*magic != kMagic) {
    if (magic->rfind("recrypt.jcd/", 0) == 0)
      fail(Errc::unsupported, "unsupported .jcd version \"" + magic->substr(0, 32) + "\"");
    fail(Errc::malformed, "not a .jcd file (first line is not \"" + std::string(kMagic) + "\")");
  }
  auto envelope_line = in.read_line(jwe::kMaxEnvelopeSize);
  if (!envelope_line) fail(Errc::truncated, ".jcd file ends after its first line");
  Header h{jwe::Envelope::parse(*envelope_line),
           header_digest(*magic + "\n" + *envelope_line + "\n"),
           magic->size() + envelope_line->size() + 2};
  auto cty = h.envelope.protected_header.find("cty");
  if (cty == h.envelope.protected_header.end() || *cty != kMetadataType)
    fail(Errc::malformed, ".jcd header is not a .jcd metadata envelope");
  return h;
}

Metadata open_metadata(const jwe::Envelope& envelope, ByteView content_key) {
  return Metadata::from_json(jwe::decrypt_content(envelope, content_key));
}

Decryptor::Decryptor(BufferedInput& in, const Metadata& metadata, const HeaderDigest& header,
                     unsigned threads)
    : in_(in),
      key_(secure_copy(metadata.payload_key)),
      header_(header),
      cipher_(key_, header_),
      sealed_(kSealedSegment + 1),
      plain_(kSegmentSize),
      threads_(thread_count(threads)) {
  if (metadata.segment_size != kSegmentSize)
    fail(Errc::unsupported, ".jcd segment size must be 65536 in version 1");
}

Decryptor::~Decryptor() = default;

std::uint64_t Decryptor::open_file(int in_fd, std::uint64_t payload_offset, Sink& out, int out_fd,
                                   const std::function<void(std::uint64_t)>& progress) {
  std::uint64_t total = 0;
  struct stat in_st {};
  struct stat out_st {};
  const bool files = ::fstat(in_fd, &in_st) == 0 && ::fstat(out_fd, &out_st) == 0 &&
                     S_ISREG(in_st.st_mode) && S_ISREG(out_st.st_mode);
  // The first segments on this thread, in order: a small file never starts a thread.
  while (!files || threads_ == 1 || pipeline_ || counter_ < kSerialSegments || done_ || failed_) {
    const std::optional<ByteView> segment = next();
    if (!segment) return total;
    out.write(*segment);
    total += segment->size();
    if (progress) progress(segment->size() + kGcmTagSize);
  }
  const off_t out_at = ::lseek(out_fd, 0, SEEK_CUR);
  const PositionalJob job{PayloadWork::open,
                          in_fd,
                          payload_offset + counter_ * kSealedSegment,
                          out_fd,
                          static_cast<std::uint64_t>(out_at),
                          counter_,
                          threads_};
  try {
    if (out_at < 0) fail(Errc::io, std::string("write failed: ") + std::strerror(errno));
    total += run_positional(job, key_, header_, progress).written;
  } catch (...) {
    failed_ = std::current_exception();
    throw;
  }
  done_ = true;
  return total;
}

std::optional<ByteView> Decryptor::next() {
  if (failed_) std::rethrow_exception(failed_);
  try {
    if (!pipeline_ && !done_ && threads_ > 1 && counter_ >= kSerialSegments) start_pipeline();
    return pipeline_ ? next_parallel() : next_serial();
  } catch (...) {
    failed_ = std::current_exception();
    // No worker outlives the failure: the batches in flight are dropped.
    released_.reset();
    pipeline_.reset();
    throw;
  }
}

std::optional<ByteView> Decryptor::next_serial() {
  if (done_) return std::nullopt;
  // One byte of lookahead past a full segment tells whether it is the last one.
  std::size_t have = have_lookahead_ ? 1 : 0;
  if (have_lookahead_) sealed_[0] = sealed_[kSealedSegment];
  have += in_.read_full(std::span(sealed_).subspan(have, kSealedSegment + 1 - have));
  const bool last = have <= kSealedSegment;
  const std::size_t sealed_size = last ? have : kSealedSegment;
  have_lookahead_ = !last;
  const std::size_t body = sealed_size < kGcmTagSize ? 0 : sealed_size - kGcmTagSize;
  const std::span<std::uint8_t> plain = std::span(plain_).first(body);
  cipher_.open(counter_, last, ByteView(sealed_.data(), sealed_size), plain);
  ++counter_;
  done_ = last;
  return ByteView(plain);
}

void Decryptor::start_pipeline() {
  worker_ciphers_ = ciphers(threads_, key_, header_);
  pipeline_ = std::make_unique<SegmentPipeline>(
      threads_, batches_in_flight(threads_), [this](std::size_t worker, SegmentBatch& b) {
        SegmentCipher& cipher = worker_ciphers_[worker];
        // Chunks as the serial reader cuts them: full ones while more follows, then the rest.
        for (std::size_t at = 0, i = 0; at < b.input_size; at += kSealedSegment, ++i) {
          const std::size_t size = std::min(kSealedSegment, b.input_size - at);
          const bool last = b.ends && at + size == b.input_size;
          const std::size_t body = size < kGcmTagSize ? 0 : size - kGcmTagSize;
          cipher.open(b.first + i, last, ByteView(b.input.data() + at, size),
                      std::span(b.output).subspan(b.output_size, body));
          b.output_size += body;
        }
      });
}

// Reads batches while there is room in flight. A failure to read waits until every segment
// read whole before it was released, as the serial reader would have got there first.
void Decryptor::read_batches() {
  const std::size_t per_batch = segments_per_batch(threads_);
  while (!done_ && !pipeline_->full()) {
    std::unique_ptr<SegmentBatch> b = pipeline_->take();
    b->input.resize(per_batch * kSealedSegment + 1);
    b->output.resize(per_batch * kSegmentSize);
    b->first = counter_;
    // The serial reader's lookahead (always there past the first segments): a batch and one
    // byte more is a batch with more behind it; that byte begins the next batch. Reading a
    // segment at a time, each read ends on a lookahead byte, so a failure loses no segment
    // the serial reader would have opened.
    b->input[0] = sealed_[kSealedSegment];
    std::size_t have = 1;
    try {
      for (std::size_t want = kSealedSegment; have < b->input.size(); have += want) {
        std::size_t got = in_.read_full(std::span(b->input).subspan(have, want));
        if (got < want) {
          have += got;
          break;
        }
      }
    } catch (...) {
      read_error_ = std::current_exception();
      done_ = true;
      b->input_size = have - 1;  // whole segments, each with its lookahead byte
      counter_ += b->input_size / kSealedSegment;
      if (b->input_size == 0)
        pipeline_->give_back(std::move(b));
      else
        pipeline_->submit(std::move(b));
      return;
    }
    const bool more = have == b->input.size();
    b->input_size = more ? have - 1 : have;
    if (more) sealed_[kSealedSegment] = b->input[have - 1];
    b->ends = !more;
    done_ = !more;
    counter_ += (b->input_size + kSealedSegment - 1) / kSealedSegment;
    pipeline_->submit(std::move(b));
  }
}

std::optional<ByteView> Decryptor::next_parallel() {
  if (released_) pipeline_->give_back(std::move(released_));
  if (pending_error_) std::rethrow_exception(pending_error_);
  read_batches();
  if (pipeline_->empty()) {
    if (read_error_) std::rethrow_exception(read_error_);
    pipeline_.reset();  // the end: the workers go now, not with the decryptor
    return std::nullopt;
  }
  std::unique_ptr<SegmentBatch> b = pipeline_->wait_oldest();
  if (b->error) {
    if (b->output_size == 0) std::rethrow_exception(b->error);
    // The segments before the failure now, the failure at the next call.
    pending_error_ = b->error;
  }
  released_ = std::move(b);
  return ByteView(released_->output.data(), released_->output_size);
}

}  // namespace recrypt::jcd
