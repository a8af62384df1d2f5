// The agent's connection to a recryption service: one typed call per transaction, signed by
// one of the user's keys (a device key, or the profile key when publishing the profile).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "protocol/json.hpp"
#include "protocol/jws.hpp"

namespace recrypt::agent {

// Sends one transaction (name without the Request suffix, body) and returns the response
// body; throws service::ServiceError for a refusal or a failure.
using ServiceTransport = std::function<Json(std::string_view name, const Json& body)>;

class ServiceLink {
 public:
  ServiceLink(const std::string& url, jws::Signer signer, std::string kid, std::chrono::seconds timeout);

  template <class Response, class Request>
  Response call(const Request& request) {
    return Response::from_json(transport_(Request::kName, request.to_json()));
  }

 private:
  ServiceTransport transport_;
};

}  // namespace recrypt::agent
