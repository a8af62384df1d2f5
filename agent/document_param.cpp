#include "agent/document_param.hpp"

#include "protocol/agent/rpc.hpp"
#include "protocol/base64url.hpp"

namespace recrypt::agent {

DocumentParam document_param(const Json& params) {
  DocumentParam out;
  auto whole = params.find("jcd");
  if (whole == params.end()) {
    out.envelope = jwe::Envelope::parse(agent_rpc::param_string(params, "envelope"));
    return out;
  }
  if (params.contains("envelope"))
    throw agent_rpc::RpcError(agent_rpc::Code::invalid_params,
                              "give the document's envelope or the whole document, not both");
  const std::string& text = agent_rpc::param_string(params, "jcd");
  // base64url's 4 characters for 3 bytes: checked before decoding anything.
  if (text.size() > (agent_rpc::kMaxWholeDocument + 2) / 3 * 4)
    fail(Errc::too_large, "a whole document is taken up to " +
                              std::to_string(agent_rpc::kMaxWholeDocument / 1024) +
                              " KiB: send its envelope instead");
  Bytes file = base64url::decode(text);
  MemorySource source(file);
  BufferedInput input(source);
  jcd::Header header = jcd::read_header(input);
  out.payload.assign(file.begin() + static_cast<std::ptrdiff_t>(header.size), file.end());
  out.envelope = header.envelope;
  out.header = std::move(header);
  return out;
}

SecureBytes open_payload(const DocumentParam& document, const jcd::Metadata& metadata) {
  MemorySource source(document.payload);
  BufferedInput input(source);
  // One thread: a document this small is a few segments at most.
  jcd::Decryptor decryptor(input, metadata, document.header->digest, 1);
  SecureBytes plaintext;
  while (auto segment = decryptor.next())
    plaintext.insert(plaintext.end(), segment->begin(), segment->end());
  return plaintext;
}

}  // namespace recrypt::agent
