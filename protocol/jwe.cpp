#include "protocol/jwe.hpp"

#include <openssl/rand.h>

#include "protocol/base64url.hpp"
#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/primitives.hpp"
#include "protocol/udf.hpp"

namespace recrypt::jwe {
namespace {

constexpr std::string_view kWhat = "JWE";
constexpr std::size_t kWrappedKeySize = kAes256KeySize + 8;

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  ossl::check(RAND_bytes(out.data(), static_cast<int>(n)) == 1, "RAND_bytes");
  return out;
}

Json locator_to_json(const Locator& l) {
  return Json{{"group", l.group}, {"group_id", l.group_id}, {"service", l.service}};
}

Locator locator_from_json(const Json& j) {
  constexpr std::string_view what = "JWE recipient \"recrypt\" locator";
  json::require_object(j, what);
  return Locator{json::string_field(j, "group", what), json::string_field(j, "group_id", what),
                 json::string_field(j, "service", what)};
}

Json agreement_to_json(const KeyAgreement& a) {
  Json j{{"epk", jwk::from_public(a.epk)}};
  if (!a.kid.empty()) j["kid"] = a.kid;
  if (a.locator) j["recrypt"] = locator_to_json(*a.locator);
  return j;
}

KeyAgreement agreement_from_json(const Json& j, std::string_view what) {
  json::require_object(j, what);
  KeyAgreement a{jwk::to_public(json::object_field(j, "epk", what)), {}, {}};
  if (const std::string* kid = json::optional_string(j, "kid", what)) a.kid = *kid;
  if (auto it = j.find("recrypt"); it != j.end()) a.locator = locator_from_json(*it);
  return a;
}

// RFC 7516 §7.2.1: the protected, shared unprotected and per-recipient headers must have no
// parameter name in common, or two readers could each take a different one.
void require_disjoint(const Json& first, std::string_view first_name, const Json& second,
                      std::string_view second_name) {
  for (const auto& item : first.items())
    if (second.contains(item.key()))
      fail(Errc::malformed, "JWE header parameter " + json::quoted(item.key()) +
                                " is in both the " + std::string(first_name) + " and the " +
                                std::string(second_name) + " header");
}

// Looks a header parameter up where RFC 7516 §7.2.1 allows it: per-recipient header, shared
// unprotected header, protected header. The three are disjoint, so at most one has it.
const Json* header_param(const Json& recipient_header, const Json* shared,
                         const Json& protected_header, std::string_view name) {
  for (const Json* h : {&recipient_header, shared, &protected_header}) {
    if (h == nullptr) continue;
    if (auto it = h->find(name); it != h->end()) return &*it;
  }
  return nullptr;
}

Bytes optional_b64(const Json* value, std::string_view name) {
  if (value == nullptr) return {};
  if (!value->is_string())
    fail(Errc::malformed, "JWE header \"" + std::string(name) + "\" must be a string");
  return base64url::decode(value->get_ref<const std::string&>());
}

Recipient recipient_from_json(const Json& entry, const Json* shared, const Json& protected_header) {
  constexpr std::string_view what = "JWE recipient";
  json::require_object(entry, what);
  static const Json empty = Json::object();
  const Json* header = &empty;
  if (auto it = entry.find("header"); it != entry.end()) {
    json::require_object(*it, "JWE recipient header");
    header = &*it;
  }
  require_disjoint(*header, "per-recipient", protected_header, "protected");
  if (shared != nullptr) require_disjoint(*header, "per-recipient", *shared, "shared unprotected");
  Recipient r;
  const Json* alg = header_param(*header, shared, protected_header, "alg");
  if (alg == nullptr || !alg->is_string()) fail(Errc::malformed, "JWE recipient has no \"alg\"");
  r.alg = alg->get<std::string>();
  r.encrypted_key = base64url::decode(json::string_field(entry, "encrypted_key", what));
  r.apu = optional_b64(header_param(*header, shared, protected_header, "apu"), "apu");
  r.apv = optional_b64(header_param(*header, shared, protected_header, "apv"), "apv");
  if (r.alg == kAlgEcdhEs) {
    Json merged = *header;
    for (const char* name : {"epk", "kid"})
      if (!merged.contains(name))
        if (const Json* v = header_param(*header, shared, protected_header, name))
          merged[name] = *v;
    r.agreements.push_back(agreement_from_json(merged, "JWE recipient header"));
  } else if (r.alg == kAlgAllOf) {
    const auto& parts = json::array_field(*header, "parts", "JWE all-of recipient header");
    if (parts.size() < 2 || parts.size() > kMaxParts)
      fail(Errc::malformed,
           "JWE all-of recipient must have 2 to " + std::to_string(kMaxParts) + " parts");
    for (const Json& part : parts)
      r.agreements.push_back(agreement_from_json(part, "JWE all-of part"));
  } else {
    return r;  // someone else's recipient: kept, never opened by us
  }
  if (r.encrypted_key.size() != kWrappedKeySize)
    fail(Errc::malformed,
         "JWE encrypted_key must be " + std::to_string(kWrappedKeySize) + " bytes");
  return r;
}

SecureBytes key_encryption_key(const Recipient& r, const std::vector<Point>& shared_points) {
  SecureBytes z;
  for (const Point& p : shared_points) {
    SecureBytes x = p.secret_x();
    z.insert(z.end(), x.begin(), x.end());
  }
  return concat_kdf(z, r.alg, r.apu, r.apv, kAes256KeySize);
}

}  // namespace

Envelope Envelope::parse(std::string_view text) {
  Json doc = json::parse(text, kMaxEnvelopeSize, kWhat);
  json::require_object(doc, kWhat);
  if (doc.contains("aad")) fail(Errc::unsupported, "JWE with external \"aad\" is not supported");
  // The general JSON serialization and nothing else: not the flattened form's top-level
  // "header" and "encrypted_key", nor members of anyone's invention.
  for (const auto& item : doc.items()) {
    const std::string& name = item.key();
    if (name != "protected" && name != "unprotected" && name != "recipients" && name != "iv" &&
        name != "ciphertext" && name != "tag")
      fail(Errc::malformed, "JWE has an unknown member " + json::quoted(name));
  }
  Envelope e;
  e.protected_b64 = json::string_field(doc, "protected", kWhat);
  Bytes raw_protected = base64url::decode(e.protected_b64);
  e.protected_header =
      json::parse(as_chars(raw_protected), kMaxEnvelopeSize, "JWE protected header");
  json::require_object(e.protected_header, "JWE protected header");
  const Json* shared = nullptr;
  if (auto it = doc.find("unprotected"); it != doc.end()) {
    json::require_object(*it, "JWE unprotected header");
    shared = &*it;
    require_disjoint(*shared, "shared unprotected", e.protected_header, "protected");
  }
  const Json* enc = header_param(Json::object(), shared, e.protected_header, "enc");
  if (enc == nullptr || !enc->is_string()) fail(Errc::malformed, "JWE has no \"enc\"");
  if (*enc != kEnc)
    fail(Errc::unsupported,
         "JWE content encryption \"" + enc->get<std::string>() + "\" is not supported");
  if (header_param(Json::object(), shared, e.protected_header, "zip") != nullptr)
    fail(Errc::unsupported, "compressed JWE is not supported");
  if (header_param(Json::object(), shared, e.protected_header, "crit") != nullptr)
    fail(Errc::unsupported, "JWE has critical extensions we do not know");

  const auto& recipients = json::array_field(doc, "recipients", kWhat);
  if (recipients.empty() || recipients.size() > kMaxRecipients)
    fail(Errc::malformed, "JWE must have 1 to " + std::to_string(kMaxRecipients) + " recipients");
  for (const Json& entry : recipients)
    e.recipients.push_back(recipient_from_json(entry, shared, e.protected_header));

  e.iv = base64url::decode(json::string_field(doc, "iv", kWhat));
  e.ciphertext = base64url::decode(json::string_field(doc, "ciphertext", kWhat));
  e.tag = base64url::decode(json::string_field(doc, "tag", kWhat));
  if (e.iv.size() != kGcmNonceSize) fail(Errc::malformed, "JWE iv must be 12 bytes");
  if (e.tag.size() != kGcmTagSize) fail(Errc::malformed, "JWE tag must be 16 bytes");
  return e;
}

std::string Envelope::serialize() const {
  Json recipients_json = Json::array();
  for (const Recipient& r : recipients) {
    Json header;
    if (r.alg == kAlgEcdhEs && r.agreements.size() == 1) {
      header = agreement_to_json(r.agreements.front());
    } else {
      Json parts = Json::array();
      for (const KeyAgreement& a : r.agreements) parts.push_back(agreement_to_json(a));
      header["parts"] = std::move(parts);
    }
    header["alg"] = r.alg;
    if (!r.apu.empty()) header["apu"] = base64url::encode(r.apu);
    if (!r.apv.empty()) header["apv"] = base64url::encode(r.apv);
    recipients_json.push_back(
        Json{{"header", std::move(header)}, {"encrypted_key", base64url::encode(r.encrypted_key)}});
  }
  Json doc{{"protected", protected_b64},
           {"recipients", std::move(recipients_json)},
           {"iv", base64url::encode(iv)},
           {"ciphertext", base64url::encode(ciphertext)},
           {"tag", base64url::encode(tag)}};
  return doc.dump();
}

Envelope encrypt(ByteView plaintext, const std::vector<RecipientSpec>& recipients,
                 const std::optional<std::string>& content_type) {
  if (recipients.empty() || recipients.size() > kMaxRecipients)
    fail(Errc::malformed, "a JWE needs 1 to " + std::to_string(kMaxRecipients) + " recipients");
  SecureBytes cek(kAes256KeySize);
  ossl::check(RAND_priv_bytes(cek.data(), static_cast<int>(cek.size())) == 1, "RAND_priv_bytes");

  Envelope e;
  e.protected_header = Json{{"enc", kEnc}};
  if (content_type) e.protected_header["cty"] = *content_type;
  e.protected_b64 = base64url::encode(as_bytes(e.protected_header.dump()));

  for (const RecipientSpec& spec : recipients) {
    if (spec.empty() || spec.size() > kMaxParts)
      fail(Errc::malformed,
           "an all-of recipient takes 2 to " + std::to_string(kMaxParts) + " keys");
    Recipient r;
    r.alg = spec.size() == 1 ? kAlgEcdhEs : kAlgAllOf;
    std::vector<Point> shared;
    for (const RecipientKey& key : spec) {
      Scalar t = Scalar::random(key.public_key.curve());
      shared.push_back(key.public_key.times(t));
      std::string kid = key.kid.empty() ? udf::key_fingerprint(key.public_key) : key.kid;
      r.agreements.push_back(KeyAgreement{t.public_point(), std::move(kid), key.locator});
    }
    r.encrypted_key = aes256_key_wrap(key_encryption_key(r, shared), cek);
    e.recipients.push_back(std::move(r));
  }

  e.iv = random_bytes(kGcmNonceSize);
  e.ciphertext.resize(plaintext.size());
  Aes256Gcm gcm(cek);
  auto tag = gcm.seal(e.iv, as_bytes(e.protected_b64), plaintext, e.ciphertext);
  e.tag.assign(tag.begin(), tag.end());
  return e;
}

std::optional<SecureBytes> try_unwrap(const Recipient& recipient,
                                      const std::vector<Point>& shared_points) {
  if (!recipient.known()) return std::nullopt;  // someone else's algorithm: not ours to open
  if (shared_points.size() != recipient.agreements.size())
    fail(Errc::malformed, "one shared point is needed for each key agreement of the recipient");
  auto cek =
      aes256_key_unwrap(key_encryption_key(recipient, shared_points), recipient.encrypted_key);
  if (cek && cek->size() != kAes256KeySize) return std::nullopt;
  return cek;
}

SecureBytes unwrap_candidates(const Recipient& recipient,
                              const std::vector<std::vector<Point>>& candidates) {
  if (!recipient.known())
    fail(Errc::unsupported,
         "JWE recipient algorithm " + json::quoted(recipient.alg) + " is not supported");
  if (candidates.size() != recipient.agreements.size())
    fail(Errc::malformed, "one candidate list is needed for each key agreement of the recipient");
  std::size_t combinations = 1;
  for (const auto& list : candidates) {
    if (list.empty() || list.size() > 2)
      fail(Errc::malformed, "each key agreement has one or two candidate points");
    combinations *= list.size();
  }
  // At most 2^kMaxParts tries, each one KDF and one unwrap: the x-only devices' price.
  for (std::size_t index = 0; index < combinations; ++index) {
    std::vector<Point> pick;
    std::size_t rest = index;
    for (const auto& list : candidates) {
      pick.push_back(list[rest % list.size()]);
      rest /= list.size();
    }
    if (auto cek = try_unwrap(recipient, pick)) return std::move(*cek);
  }
  fail(Errc::decrypt_failed,
       "the key does not open this recipient (wrong key, or the data was altered)");
}

SecureBytes decrypt_content(const Envelope& envelope, ByteView content_key) {
  SecureBytes plaintext(envelope.ciphertext.size());
  Aes256Gcm gcm(content_key);
  if (!gcm.open(envelope.iv, as_bytes(envelope.protected_b64), envelope.ciphertext, envelope.tag,
                plaintext))
    fail(Errc::decrypt_failed,
         "JWE content does not authenticate (wrong key, or the data was altered)");
  return plaintext;
}

SecureBytes open_with_private_key(const Envelope& envelope, const Scalar& key) {
  std::string kid = udf::key_fingerprint(key.public_point());
  std::vector<const Recipient*> order;
  for (const Recipient& r : envelope.recipients)
    if (r.alg == kAlgEcdhEs && r.agreements.front().kid == kid) order.push_back(&r);
  for (const Recipient& r : envelope.recipients)
    if (r.alg == kAlgEcdhEs && r.agreements.front().kid != kid) order.push_back(&r);
  for (const Recipient* r : order) {
    Point z = r->agreements.front().epk.times(key);
    if (auto cek = try_unwrap(*r, {z})) return decrypt_content(envelope, *cek);
  }
  fail(Errc::decrypt_failed, "no recipient of this JWE opens with the given key");
}

}  // namespace recrypt::jwe
