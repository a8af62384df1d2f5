#include "protocol/service/file_identity.hpp"

#include <cstdint>

#include "base/error.hpp"
#include "protocol/base64.hpp"
#include "protocol/jws.hpp"
#include "protocol/point.hpp"
#include "protocol/service/service_error.hpp"
#include "protocol/udf.hpp"

namespace recrypt::service {
namespace {

constexpr std::size_t kMaxTextForm = kMaxProfileSize;  // PEM keys and profiles are small
constexpr std::size_t kMaxDerKey = 4096;
constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPemDashes = "-----";
constexpr std::string_view kProfileType = "recrypt-profile";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// One DER element's header at `at`: its tag, how long the header is, and how long the
// contents are. nullopt when it runs past the end or uses a length form DER does not.
struct Tlv {
  std::uint8_t tag;
  std::size_t header;
  std::size_t length;
};

std::optional<Tlv> read_tlv(ByteView der, std::size_t at) {
  if (at >= der.size() || der.size() - at < 2) return std::nullopt;
  Tlv t{der[at], 2, der[at + 1]};
  if (t.length & 0x80) {
    std::size_t n = t.length & 0x7f;
    if (n == 0 || n > 2 || der.size() - at - 2 < n) return std::nullopt;
    t.length = 0;
    for (std::size_t i = 0; i < n; ++i) t.length = (t.length << 8) | der[at + 2 + i];
    t.header += n;
  }
  if (t.length > der.size() - at - t.header) return std::nullopt;
  return t;
}

// The shape of a SubjectPublicKeyInfo, not yet its content: one SEQUENCE spanning the input,
// whose first element is a SEQUENCE (the algorithm) that starts with an OID. A certificate,
// or most any other binary file, differs at once and is fingerprinted as bytes.
bool shaped_like_spki(ByteView der) {
  auto outer = read_tlv(der, 0);
  if (!outer || outer->tag != 0x30 || outer->header + outer->length != der.size()) return false;
  auto algorithm = read_tlv(der, outer->header);
  if (!algorithm || algorithm->tag != 0x30) return false;
  auto oid = read_tlv(der, outer->header + algorithm->header);
  return oid && oid->tag == 0x06;
}

// A PEM body: base64 (RFC 4648, standard alphabet, padded) in lines.
Bytes pem_body(std::string_view text) {
  std::string compact;
  for (char c : text)
    if (!is_space(c)) compact.push_back(c);
  try {
    return base64::decode(compact, base64::Padding::required);
  } catch (const Error& e) {
    fail(Errc::malformed, std::string("the PEM block's body: ") + e.what());
  }
}

bool plain_label(std::string_view label) {
  if (label.empty() || label.size() > 64) return false;
  for (char c : label)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')) return false;
  return true;
}

Point spki_key(ByteView der, std::string_view form) {
  try {
    return Point::from_spki_der(der);
  } catch (const Error& e) {
    fail(e.code(), std::string(form) + " public key: " + e.what());
  }
}

// One PEM block, which must be a PUBLIC KEY: a private key's body is not even decoded.
Point pem_key(std::string_view text) {
  std::size_t label_end = text.find(kPemDashes, kPemBegin.size());
  std::string_view label = label_end == std::string_view::npos
                               ? std::string_view()
                               : text.substr(kPemBegin.size(), label_end - kPemBegin.size());
  if (!plain_label(label)) fail(Errc::malformed, "a PEM file whose BEGIN line is malformed");
  const std::string end_line = "-----END " + std::string(label) + "-----";
  std::size_t body = label_end + kPemDashes.size();
  std::size_t end = text.find(end_line, body);
  if (end == std::string_view::npos)
    fail(Errc::malformed, "a PEM " + std::string(label) + " without its END line");
  if (!trimmed(text.substr(end + end_line.size())).empty())
    fail(Errc::malformed, "a PEM file of more than one block: give one public key");
  if (label.find("PRIVATE KEY") != std::string_view::npos)
    fail(Errc::unsupported, "this is a PEM " + std::string(label) +
                                ": fingerprint its public key instead (openssl pkey -pubout)");
  if (label != "PUBLIC KEY")
    fail(Errc::unsupported,
         "a PEM " + std::string(label) + " is not a public key (a PEM PUBLIC KEY is)");
  return spki_key(pem_body(text.substr(body, end - body)), "PEM");
}

bool shaped_like_jws(std::string_view text) {
  int dots = 0;
  for (char c : text) {
    if (c == '.')
      ++dots;
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_'))
      return false;
  }
  return dots == 2;
}

// A JWS compact whose header says it is a profile; nullopt for any other text.
std::optional<FileIdentity> profile_in(std::string_view text) {
  if (text.empty() || text.size() > kMaxProfileSize || !shaped_like_jws(text)) return std::nullopt;
  Json header;
  try {
    header = jws::unverified_header(text);
  } catch (const Error&) {
    return std::nullopt;
  }
  auto typ = header.find("typ");
  if (typ == header.end() || !typ->is_string() || typ->get<std::string>() != kProfileType)
    return std::nullopt;
  try {
    VerifiedProfile p = verify_profile(text);
    FileIdentity out;
    out.kind = FileKind::profile;
    out.fingerprint = p.id();
    out.format = "JWS";
    out.profile_type = p.type;
    out.name = p.name();
    return out;
  } catch (const ServiceError& e) {
    fail(Errc::malformed, std::string("a signed profile that does not verify: ") + e.what());
  } catch (const Error& e) {
    fail(Errc::malformed, std::string("a signed profile that does not verify: ") + e.what());
  }
}

FileIdentity key_identity(const Point& key, std::string_view format) {
  FileIdentity out;
  out.kind = FileKind::public_key;
  out.fingerprint = udf::key_fingerprint(key);
  out.format = std::string(format);
  out.curve = std::string(key.curve().jwk_name());
  return out;
}

}  // namespace

std::string_view to_string(FileKind kind) {
  switch (kind) {
    case FileKind::public_key:
      return "public_key";
    case FileKind::profile:
      return "profile";
    case FileKind::data:
      return "data";
  }
  return "data";
}

FileIdentity identify_file(ByteView data, std::string_view content_type) {
  if (data.size() <= kMaxTextForm) {
    std::string_view text = trimmed(as_chars(data));
    if (text.starts_with(kPemBegin)) return key_identity(pem_key(text), "PEM");
    if (auto profile = profile_in(text)) return *profile;
  }
  if (data.size() <= kMaxDerKey && shaped_like_spki(data))
    return key_identity(spki_key(data, "DER"), "DER");
  FileIdentity out;
  out.fingerprint = udf::fingerprint(content_type, data);
  out.format = std::string(content_type);
  return out;
}

}  // namespace recrypt::service
