#include "protocol/document_id.hpp"

#include <set>

#include "protocol/base64url.hpp"
#include "protocol/udf.hpp"

namespace recrypt::document {

std::string document_id(const jwe::Envelope& envelope) {
  std::string core = envelope.protected_b64;
  core += '.';
  core += base64url::encode(envelope.iv);
  core += '.';
  core += base64url::encode(envelope.ciphertext);
  core += '.';
  core += base64url::encode(envelope.tag);
  return udf::fingerprint(kDocumentIdType, as_bytes(core));
}

std::string agreement_id(const Point& epk) { return udf::key_fingerprint(epk); }

std::vector<std::string> agreement_ids(
    const jwe::Envelope& envelope, const std::function<bool(const jwe::KeyAgreement&)>& addressed) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const jwe::Recipient& r : envelope.recipients)
    for (const jwe::KeyAgreement& a : r.agreements) {
      if (!addressed(a)) continue;
      std::string id = agreement_id(a.epk);
      if (seen.insert(id).second) out.push_back(std::move(id));
    }
  return out;
}

}  // namespace recrypt::document
