// The agent's wire protocol (docs/AGENT_PROTOCOL.md): JSON-RPC 2.0, one JSON object per line
// ("\n"-terminated, no embedded newlines), at most kMaxMessage bytes a line. One parser for
// both ends: the agent reads requests with parse_request, the CLI reads responses with
// parse_response.
#pragma once

#include <optional>
#include <string>

#include "protocol/json.hpp"

namespace recrypt::agent_rpc {

inline constexpr int kProtocolVersion = 1;
inline constexpr std::size_t kMaxMessage = 4 * 1024 * 1024;
// The largest .jcd that document.open takes whole ("jcd"), payload and all, to answer with
// the plaintext itself: a reader of a small document then does no cryptography of its own.
inline constexpr std::size_t kMaxWholeDocument = 64 * 1024;

// JSON-RPC 2.0 reserved codes, and ours (the -32000..-32099 "server error" range).
enum class Code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
  refused = -32001,          // the caller may not do this (wrong uid is refused before any message)
  not_found = -32002,        // no such profile, group, member, key, device
  auth_failed = -32003,      // wrong PIN or passphrase, or cancelled
  device_error = -32004,     // TPM or token failure, device absent
  service_error = -32005,    // the recryption service refused or failed; data.status says how
  decrypt_failed = -32006,   // nothing this agent holds opens the document
  conflict = -32007,         // already exists
  consent_refused = -32008,  // the user said no at the agent's confirmation prompt
  review_pending = -32009,   // the recryption waits for an administrator's review; data.request
};

struct Request {
  Json id;  // number or string; null for a notification (we answer nothing then)
  std::string method;
  Json params;  // object (possibly empty)
};

struct Failure {
  Code code;
  std::string message;
  Json data;  // extra, e.g. {"errc":"not-present"} or {"status":401}
};

class RpcError : public std::runtime_error {
 public:
  RpcError(Code code, const std::string& message, Json data = nullptr)
      : std::runtime_error(message), code_(code), data_(std::move(data)) {}
  Code code() const noexcept { return code_; }
  const Json& data() const noexcept { return data_; }

 private:
  Code code_;
  Json data_;
};

// Agent side. Throws RpcError(parse_error / invalid_request) with the id when one was read.
Request parse_request(std::string_view line, Json& id_out);
// Answers are serialized in wiping memory, since some carry key material (document.open's
// plaintext); make_result also wipes the strings of `result`, which it consumes.
SecureString make_result(const Json& id, Json&& result);
SecureString make_error(const Json& id, Code code, const std::string& message,
                        const Json& data = nullptr);

// Client side.
std::string make_request(std::uint64_t id, std::string_view method, const Json& params);
// The result, or throws RpcError with the agent's code, message and data. The secret form
// keeps the whole answer in wiping memory.
SecretJson parse_secret_response(std::string_view line, std::uint64_t expected_id);
Json parse_response(std::string_view line, std::uint64_t expected_id);

// Typed access to request parameters; RpcError(invalid_params) naming the parameter.
const std::string& param_string(const Json& params, std::string_view name);
std::optional<std::string> param_optional_string(const Json& params, std::string_view name);

}  // namespace recrypt::agent_rpc
