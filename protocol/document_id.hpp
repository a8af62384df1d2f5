// The ids an audit names a document by (docs/FORMAT.md §10): the document id, a UDF over the
// envelope's content-encryption core, which every copy of the document shares whatever its
// recipients; and the key agreement id, the key fingerprint of an agreement's epk, which the
// service computes itself from the point it is asked to multiply.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/jwe.hpp"

namespace recrypt::document {

inline constexpr std::string_view kDocumentIdType = "application/recrypt-jcd";

// UDF("application/recrypt-jcd", protected "." iv "." ciphertext "." tag), each part the
// base64url text of the envelope (which base64url's one canonical form lets us re-encode).
std::string document_id(const jwe::Envelope& envelope);

// The key fingerprint of T.
std::string agreement_id(const Point& epk);

// The ids of the envelope's key agreements that `addressed` accepts, in the envelope's order
// (recipients, then an all-of recipient's parts), each once.
std::vector<std::string> agreement_ids(
    const jwe::Envelope& envelope, const std::function<bool(const jwe::KeyAgreement&)>& addressed);

}  // namespace recrypt::document
