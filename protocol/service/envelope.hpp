// The message envelope of every transaction: a JSON object with exactly one member named by
// the message type, {"AddMemberRequest": {...}} or {"AddMemberResponse": {"Status": 201, ...}}.
#pragma once

#include <string>
#include <string_view>

#include "protocol/json.hpp"

namespace recrypt::service {

inline constexpr std::string_view kPath = "/.well-known/recrypt/";
inline constexpr std::string_view kSignatureHeader = "Recrypt-Signature";
inline constexpr std::string_view kProtocolVersion = "1.0";

struct Message {
  std::string name;  // transaction name without the Request/Response suffix, e.g. "AddMember"
  Json body;         // always an object
};

// Parses a request body; ServiceError(400) when it is not one tagged *Request object.
Message parse_request(std::string_view text, std::size_t max_size);
// Parses a response body and throws ServiceError(Status, StatusDescription) when Status is
// not 2xx; ServiceError(500-range) when the response itself is malformed.
Message parse_response(std::string_view text, std::size_t max_size, std::string_view expected_name);

std::string serialize_request(std::string_view name, const Json& body);
// `body` gets Status and StatusDescription added.
std::string serialize_response(std::string_view name, int status, std::string_view description,
                               Json body);

}  // namespace recrypt::service
