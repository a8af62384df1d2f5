#include "protocol/jcd.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/json.hpp"

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
}  // namespace

Encryptor::Encryptor(Sink& out, const std::vector<jwe::RecipientSpec>& recipients,
                     const FileInfo& info)
    : out_(out),
      key_(fresh_key()),
      gcm_(key_),
      plain_(kSegmentSize),
      sealed_(kSegmentSize + kGcmTagSize) {
  if (info.name) check_name(*info.name);
  if (info.media_type) check_text_field(*info.media_type, "media_type");
  if (info.created) check_created(*info.created);
  Metadata metadata{secure_copy(key_), kSegmentSize, info};
  SecureBytes metadata_json = metadata.to_json();
  jwe::Envelope envelope = jwe::encrypt(metadata_json, recipients, std::string(kMetadataType));
  std::string header = std::string(kMagic) + "\n" + envelope.serialize() + "\n";
  header_digest_ = header_digest(header);
  out_.write(as_bytes(header));
}

void Encryptor::seal_segment(ByteView segment, bool last) {
  auto nonce = segment_nonce(counter_, last);
  auto tag = gcm_.seal(nonce, header_digest_, segment, std::span(sealed_).first(segment.size()));
  std::memcpy(sealed_.data() + segment.size(), tag.data(), tag.size());
  out_.write(ByteView(sealed_.data(), segment.size() + tag.size()));
  ++counter_;
}

void Encryptor::emit(bool last) {
  seal_segment(ByteView(plain_.data(), filled_), last);
  filled_ = 0;
}

void Encryptor::update(ByteView plaintext) {
  if (finished_) fail(Errc::internal, ".jcd encryptor used after finish");
  while (!plaintext.empty()) {
    // A full segment is sealed only once more data arrives: until then it may be the last.
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

void Encryptor::finish() {
  if (finished_) fail(Errc::internal, ".jcd encryptor finished twice");
  emit(true);
  finished_ = true;
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
           header_digest(*magic + "\n" + *envelope_line + "\n")};
  auto cty = h.envelope.protected_header.find("cty");
  if (cty == h.envelope.protected_header.end() || *cty != kMetadataType)
    fail(Errc::malformed, ".jcd header is not a .jcd metadata envelope");
  return h;
}

Metadata open_metadata(const jwe::Envelope& envelope, ByteView content_key) {
  return Metadata::from_json(jwe::decrypt_content(envelope, content_key));
}

Decryptor::Decryptor(BufferedInput& in, const Metadata& metadata, const HeaderDigest& header)
    : in_(in),
      gcm_(metadata.payload_key),
      segment_size_(metadata.segment_size),
      header_(header),
      sealed_(metadata.segment_size + kGcmTagSize + 1),
      plain_(metadata.segment_size) {}

std::optional<ByteView> Decryptor::next() {
  if (done_) return std::nullopt;
  const std::size_t full = segment_size_ + kGcmTagSize;
  // One byte of lookahead past a full segment tells whether it is the last one.
  std::size_t have = have_lookahead_ ? 1 : 0;
  if (have_lookahead_) sealed_[0] = sealed_[full];
  have += in_.read_full(std::span(sealed_).subspan(have, full + 1 - have));
  bool last = have <= full;
  std::size_t sealed_size = last ? have : full;
  have_lookahead_ = !last;
  if (sealed_size < kGcmTagSize) {
    fail(Errc::truncated, counter_ == 0 ? ".jcd file has no payload" : ".jcd file is truncated");
  }
  std::size_t body = sealed_size - kGcmTagSize;
  ByteView ct(sealed_.data(), body);
  ByteView tag(sealed_.data() + body, kGcmTagSize);
  const std::span<std::uint8_t> plain = std::span(plain_).first(body);
  if (!gcm_.open(segment_nonce(counter_, last), header_, ct, tag, plain)) {
    // A full final segment that opens as a middle one means the file was cut at a segment
    // boundary: say so, rather than the vaguer "altered".
    if (last && body == segment_size_ &&
        gcm_.open(segment_nonce(counter_, false), header_, ct, tag, plain)) {
      secure_wipe(plain_.data(), plain_.size());
      fail(Errc::truncated, ".jcd file is truncated at a segment boundary");
    }
    // Likewise a full segment with more behind it that opens as the last one: the file goes
    // on after its end.
    if (!last && gcm_.open(segment_nonce(counter_, true), header_, ct, tag, plain)) {
      secure_wipe(plain_.data(), plain_.size());
      fail(Errc::decrypt_failed, ".jcd file has data after its last segment");
    }
    fail(Errc::decrypt_failed, ".jcd segment " + std::to_string(counter_) +
                                   " does not authenticate (the file was altered)");
  }
  if (last && body == 0 && counter_ != 0)
    fail(Errc::malformed, ".jcd file has an empty last segment after data");
  ++counter_;
  done_ = last;
  return ByteView(plain);
}

}  // namespace recrypt::jcd
