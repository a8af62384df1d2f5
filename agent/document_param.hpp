// document.open's document, in either of its forms (docs/AGENT_PROTOCOL.md): the envelope
// line alone ("envelope"), or a small .jcd whole ("jcd", base64url), whose payload the agent
// then decrypts as well, so that its reader does no cryptography of its own.
#pragma once

#include <optional>

#include "base/bytes.hpp"
#include "protocol/jcd.hpp"
#include "protocol/json.hpp"

namespace recrypt::agent {

struct DocumentParam {
  jwe::Envelope envelope;
  // The whole form: the header as read from the file, and the payload after it.
  std::optional<jcd::Header> header;
  Bytes payload;
};

// Error(malformed | truncated | too_large | ...) on a document that does not parse, as the
// CLI's own reading of a file gives; RpcError(invalid_params) when neither form is there.
DocumentParam document_param(const Json& params);

// The whole form's payload, decrypted with the metadata document.open opened (wiping memory).
// Error(decrypt_failed | truncated | malformed) as jcd::Decryptor gives them.
SecureBytes open_payload(const DocumentParam& document, const jcd::Metadata& metadata);

}  // namespace recrypt::agent
