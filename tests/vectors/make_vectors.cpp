// Writes the test vectors of docs/FORMAT.md §8 into a folder (tests/vectors/README.md says
// what each one is). The positive vectors come from the library's writer, or are assembled
// here where the writer would not produce them; the negative ones alter a positive one the way
// an attacker or a careless tool would. Every vector is checked against the library before it
// is written: a positive one must decrypt to its plaintext, a negative one must fail with the
// error its .json names.
//
// Not deterministic: keys, nonces and content keys are fresh on every run, so a run rewrites
// every file. The output is checked in. Usage: make_vectors DIR
#include <openssl/rand.h>

#include <filesystem>
#include <iostream>

#include "base/atomic_file.hpp"
#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/document_id.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwk.hpp"
#include "protocol/ossl.hpp"
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"
#include "tests/vectors/vector_keys.hpp"

using namespace recrypt;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kService = "http://127.0.0.1:8080";

struct GroupKeys {
  std::string name;
  Scalar signing;  // the group's signing key: its UDF is the group id
  recryption::GroupKey key;
  recryption::MemberSplit split;
};

GroupKeys make_group(const std::string& name) {
  Scalar signing = Scalar::random(Curve::p256());
  auto key = recryption::GroupKey::generate(Curve::p256());
  auto split = recryption::split(key.secret);
  return GroupKeys{name, std::move(signing), std::move(key), std::move(split)};
}

std::string group_id(const GroupKeys& g) { return udf::key_fingerprint(g.signing.public_point()); }

Json private_jwk(const Scalar& s) { return json::to_plain(jwk::from_private(s)); }

Json group_json(const GroupKeys& g) {
  return Json{{"name", g.name},
              {"kid", udf::key_fingerprint(g.key.public_key)},
              {"group_id", group_id(g)},
              {"signing_key", jwk::from_public(g.signing.public_point())},
              {"group_key", private_jwk(g.key.secret)},
              {"member_share", private_jwk(g.split.share)},
              {"recryption_key", private_jwk(g.split.recryption_key)}};
}

jwe::RecipientKey recipient(const GroupKeys& g) {
  return jwe::RecipientKey{g.key.public_key, "",
                           jwe::Locator{g.name, group_id(g), std::string(kService)}};
}

struct Vector {
  std::string name;
  Json description;  // the .json
  Bytes jcd;
  std::optional<Bytes> plaintext;  // positive vectors only
};

Json describe(std::string_view text, const std::vector<const GroupKeys*>& groups) {
  Json list = Json::array();
  for (const GroupKeys* g : groups) list.push_back(group_json(*g));
  return Json{{"description", std::string(text)}, {"groups", std::move(list)}};
}

Vector positive(const std::string& name, std::string_view text,
                const std::vector<const GroupKeys*>& groups, const Bytes& plaintext,
                const std::vector<jwe::RecipientSpec>& recipients, const jcd::FileInfo& info) {
  MemorySink sink;
  jcd::Encryptor enc(sink, recipients, info);
  enc.update(plaintext);
  enc.finish();
  return Vector{name, describe(text, groups), sink.data(), plaintext};
}

Vector negative(const Vector& base, const std::string& name, std::string_view text, Bytes altered,
                Errc code, std::string_view message) {
  Json description = base.description;
  description["description"] = std::string(text);
  description["error"] =
      Json{{"code", std::string(errc_name(code))}, {"message", std::string(message)}};
  return Vector{name, std::move(description), std::move(altered), std::nullopt};
}

// The parts of a .jcd: its envelope line (without the LF) and its sealed segments.
std::size_t header_size(ByteView file) {
  std::string_view text = as_chars(file);
  return text.find('\n', text.find('\n') + 1) + 1;
}

std::string envelope_line(ByteView file) {
  std::string_view text = as_chars(file);
  std::size_t start = text.find('\n') + 1;
  return std::string(text.substr(start, header_size(file) - 1 - start));
}

std::vector<Bytes> segments_of(ByteView file) {
  ByteView payload = file.subspan(header_size(file));
  std::vector<Bytes> out;
  const std::size_t sealed = jcd::kSegmentSize + kGcmTagSize;
  while (!payload.empty()) {
    std::size_t take = std::min(sealed, payload.size());
    out.emplace_back(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(take));
    payload = payload.subspan(take);
  }
  return out;
}

Bytes join(std::string_view line, const std::vector<Bytes>& segments) {
  std::string header = std::string(jcd::kMagic) + "\n" + std::string(line) + "\n";
  Bytes out(header.begin(), header.end());
  for (const Bytes& s : segments) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// `line` with `extra` inserted right after the first occurrence of `anchor`.
std::string insert_after(std::string line, std::string_view anchor, std::string_view extra) {
  auto at = line.find(anchor);
  if (at == std::string::npos)
    fail(Errc::internal, "make_vectors: no " + std::string(anchor) + " in the envelope");
  return line.insert(at + anchor.size(), extra);
}

SecureBytes random_key() {
  SecureBytes key(kAes256KeySize);
  ossl::check(RAND_priv_bytes(key.data(), static_cast<int>(key.size())) == 1, "RAND_priv_bytes");
  return key;
}

// A .jcd put together by hand: the envelope line as given, then each plaintext sealed as the
// segment of its index, marked last or not as given. For files our writer would never produce.
struct Segment {
  Bytes plaintext;
  bool last;
};

Bytes assemble(std::string_view line, ByteView payload_key, const std::vector<Segment>& segments) {
  std::string header = std::string(jcd::kMagic) + "\n" + std::string(line) + "\n";
  jcd::HeaderDigest digest = jcd::header_digest(header);
  Aes256Gcm gcm(payload_key);
  Bytes out(header.begin(), header.end());
  for (std::size_t i = 0; i < segments.size(); ++i) {
    Bytes sealed(segments[i].plaintext.size());
    auto tag =
        gcm.seal(jcd::segment_nonce(i, segments[i].last), digest, segments[i].plaintext, sealed);
    out.insert(out.end(), sealed.begin(), sealed.end());
    out.insert(out.end(), tag.begin(), tag.end());
  }
  return out;
}

std::string metadata_envelope(ByteView metadata_json,
                              const std::vector<jwe::RecipientSpec>& recipients) {
  return jwe::encrypt(metadata_json, recipients, std::string(jcd::kMetadataType)).serialize();
}

// Decrypts the vector both ways a reader can, and says what is wrong, or "" when it behaves as
// its .json says.
std::string check(const Vector& v) {
  vectors::Description d = vectors::read_description(as_bytes(v.description.dump()));
  for (vectors::KeyUse use :
       {vectors::KeyUse::group_key, vectors::KeyUse::share_and_recryption_key}) {
    MemorySink out;
    try {
      vectors::decrypt_jcd(v.jcd, vectors::opener(d, use), out);
    } catch (const Error& e) {
      if (d.error && errc_name(e.code()) == d.error->code && e.what() == d.error->message) continue;
      return std::string("fails with ") + std::string(errc_name(e.code())) + ": " + e.what();
    }
    if (d.error) return "decrypts, but should fail with " + d.error->message;
    if (!v.plaintext || out.data() != *v.plaintext)
      return "decrypts to something else than its plaintext";
  }
  return "";
}

// A positive vector names its document id and its key agreements' ids (FORMAT.md §10), which
// document_ids.py checks against the definition.
void add_document_ids(Vector& v) {
  MemorySource source(v.jcd);
  BufferedInput in(source);
  jcd::Header header = jcd::read_header(in);
  v.description["document_id"] = document::document_id(header.envelope);
  v.description["agreements"] =
      document::agreement_ids(header.envelope, [](const jwe::KeyAgreement&) { return true; });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_vectors DIR\n";
    return 2;
  }
  fs::path dir = argv[1];
  GroupKeys accounting = make_group("accounting@example.com");
  GroupKeys executive = make_group("executive@example.com");
  const std::string executive_kid = udf::key_fingerprint(executive.key.public_key);

  std::string hello_text = "Hello, recrypt.\n";
  Bytes hello(hello_text.begin(), hello_text.end());
  std::vector<Vector> out;

  // Positive vectors: each decrypts to its .plaintext.
  const Vector any_of = positive(
      "any-of", "one group recipient; open with the group key or with share + recryption key",
      {&accounting}, hello, {{recipient(accounting)}},
      jcd::FileInfo{"hello.txt", "text/plain", "2026-11-22T00:00:00Z"});
  out.push_back(any_of);
  out.push_back(positive(
      "two-groups-any-of", "two recipients, one per group; either group opens it",
      {&accounting, &executive}, hello, {{recipient(accounting)}, {recipient(executive)}}, {}));
  out.push_back(positive(
      "all-of", "one ECDH-ES-ALLOF+A256KW recipient: needs both groups' Z, in parts order",
      {&accounting, &executive}, hello, {{recipient(accounting), recipient(executive)}}, {}));
  Bytes big(3 * jcd::kSegmentSize + 1000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i % 251);
  const Vector multi =
      positive("multi-segment", "3 full segments and a last one of 1000 bytes; byte i is i mod 251",
               {&accounting}, big, {{recipient(accounting)}}, {});
  out.push_back(multi);
  Bytes exact(jcd::kSegmentSize, 0x61);
  const Vector one_full =
      positive("one-full-segment", "exactly 65536 bytes: one full segment that is the last",
               {&accounting}, exact, {{recipient(accounting)}}, {});
  out.push_back(one_full);
  out.push_back(positive("empty", "empty plaintext: one empty last segment", {&accounting}, Bytes{},
                         {{recipient(accounting)}}, {}));
  {
    // A recipient of an algorithm this format does not define comes first; a reader skips it.
    SecureBytes key = random_key();
    Json envelope = Json::parse(
        metadata_envelope(jcd::Metadata{secure_copy(key), jcd::kSegmentSize, {}}.to_json(),
                          {{recipient(accounting)}}));
    Bytes wrapped(256);
    ossl::check(RAND_bytes(wrapped.data(), static_cast<int>(wrapped.size())) == 1, "RAND_bytes");
    Json foreign{{"header", {{"alg", "RSA-OAEP-256"}, {"kid", "legal@example.com"}}},
                 {"encrypted_key", base64url::encode(wrapped)}};
    envelope["recipients"].insert(envelope["recipients"].begin(), foreign);
    out.push_back(
        Vector{"unknown-alg-first",
               describe("an RSA-OAEP-256 recipient, which a reader skips, before the group's own",
                        {&accounting}),
               assemble(envelope.dump(), key, {{hello, true}}), hello});
  }

  // Negative vectors: each fails with the error its .json names, and writes no plaintext.
  {
    std::vector<Bytes> segs = segments_of(multi.jcd);
    segs.pop_back();
    out.push_back(negative(
        multi, "truncated-at-segment-boundary",
        "multi-segment without its last segment: it ends after a full segment that is not the last",
        join(envelope_line(multi.jcd), segs), Errc::truncated,
        ".jcd file is truncated at a segment boundary"));
  }
  {
    std::vector<Bytes> segs = segments_of(multi.jcd);
    std::swap(segs[0], segs[1]);
    out.push_back(negative(multi, "segments-reordered",
                           "multi-segment with its first two segments swapped",
                           join(envelope_line(multi.jcd), segs), Errc::decrypt_failed,
                           ".jcd segment 0 does not authenticate (the file was altered)"));
  }
  {
    // "kid" is outside the JWE's integrity: the recipient still opens, the payload does not.
    std::string line = envelope_line(any_of.jcd);
    std::string kid = udf::key_fingerprint(accounting.key.public_key);
    std::string flipped = kid;
    flipped[0] = flipped[0] == 'M' ? 'N' : 'M';
    line.replace(line.find("\"kid\":\"" + kid + "\""), kid.size() + 8,
                 "\"kid\":\"" + flipped + "\"");
    out.push_back(negative(
        any_of, "flipped-kid",
        "any-of with one character of the recipient's kid changed; the recipient opens, the "
        "payload does not",
        join(line, segments_of(any_of.jcd)), Errc::decrypt_failed,
        ".jcd segment 0 does not authenticate (the file was altered)"));
  }
  {
    Bytes file = one_full.jcd;
    file.push_back('\n');
    out.push_back(negative(
        one_full, "trailing-data", "one-full-segment with a newline after its last segment",
        std::move(file), Errc::decrypt_failed, ".jcd file has data after its last segment"));
  }
  {
    // 65536 bytes written as a full segment and then an empty last one, where the one encoding
    // is a single full last segment.
    SecureBytes key = random_key();
    std::string line =
        metadata_envelope(jcd::Metadata{secure_copy(key), jcd::kSegmentSize, {}}.to_json(),
                          {{recipient(accounting)}});
    out.push_back(
        negative(one_full, "empty-last-segment-after-data",
                 "65536 bytes as a full segment that is not the last, then an empty last segment",
                 assemble(line, key, {{exact, false}, {{}, true}}), Errc::malformed,
                 ".jcd file has an empty last segment after data"));
  }
  {
    std::string line = insert_after(envelope_line(any_of.jcd), "\"header\":{",
                                    "\"kid\":\"" + executive_kid + "\",");
    out.push_back(negative(
        any_of, "duplicate-member", "any-of whose recipient header names a second, different kid",
        join(line, segments_of(any_of.jcd)), Errc::malformed, "duplicate member \"kid\" in JWE"));
  }
  {
    std::string line = insert_after(envelope_line(any_of.jcd), "{",
                                    "\"unprotected\":{\"kid\":\"" + executive_kid + "\"},");
    out.push_back(negative(
        any_of, "overlapping-headers",
        "any-of with a shared unprotected header whose kid differs from the recipient header's",
        join(line, segments_of(any_of.jcd)), Errc::malformed,
        "JWE header parameter \"kid\" is in both the per-recipient and the shared unprotected "
        "header"));
  }
  {
    std::string line = insert_after(envelope_line(any_of.jcd), "{", "\"comment\":\"hello\",");
    out.push_back(negative(any_of, "unknown-envelope-member",
                           "any-of with a top-level envelope member JWE does not define",
                           join(line, segments_of(any_of.jcd)), Errc::malformed,
                           "JWE has an unknown member \"comment\""));
  }
  {
    SecureBytes key = random_key();
    jcd::FileInfo info{"hello.txt", "text/plain", "2026-11-22 00:00:00"};
    std::string line =
        metadata_envelope(jcd::Metadata{secure_copy(key), jcd::kSegmentSize, info}.to_json(),
                          {{recipient(accounting)}});
    out.push_back(negative(any_of, "created-not-rfc3339",
                           "metadata whose created is \"2026-11-22 00:00:00\": no T, no time zone",
                           assemble(line, key, {{hello, true}}), Errc::malformed,
                           ".jcd metadata: \"created\" must be an RFC 3339 date and time"));
  }
  {
    SecureBytes key = random_key();
    SecureBytes other = random_key();
    std::string metadata = "{\"payload_key\":\"" + base64url::encode(other) +
                           "\",\"payload_key\":\"" + base64url::encode(key) +
                           "\",\"segment_size\":65536}";
    std::string line = metadata_envelope(as_bytes(metadata), {{recipient(accounting)}});
    out.push_back(
        negative(any_of, "duplicate-metadata-member",
                 "metadata naming two payload keys; the segments are sealed under the second",
                 assemble(line, key, {{hello, true}}), Errc::malformed,
                 "duplicate member \"payload_key\" in .jcd metadata"));
  }

  for (Vector& v : out)
    if (v.plaintext) add_document_ids(v);
  for (const Vector& v : out) {
    if (std::string wrong = check(v); !wrong.empty()) {
      std::cerr << "make_vectors: " << v.name << " " << wrong << "\n";
      return 1;
    }
  }
  for (const Vector& v : out) {
    write_file_atomic(dir / (v.name + ".jcd"), v.jcd, 0644);
    write_file_atomic(dir / (v.name + ".json"), as_bytes(v.description.dump(2) + "\n"), 0644);
    if (v.plaintext) write_file_atomic(dir / (v.name + ".plaintext"), *v.plaintext, 0644);
  }
  std::cout << "wrote " << out.size() << " vectors to " << dir << "\n";
  return 0;
}
