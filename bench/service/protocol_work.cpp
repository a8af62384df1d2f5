#include "bench/service/protocol_work.hpp"

#include <memory>
#include <stdexcept>

#include "protocol/recryption.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/request_signature.hpp"
#include "protocol/udf.hpp"

namespace recrypt::bench {
namespace {

constexpr std::size_t kMaxBody = 1 << 20;
// recryptd's default skew window: how long a nonce is kept.
constexpr std::int64_t kSkewSeconds = 300;

}  // namespace

ProtocolWork::ProtocolWork(const Point& signer_key, const std::string& sample_response)
    : key_(signer_key),
      r_(Scalar::random(signer_key.curve())),
      wrapped_share_(service::RecryptDataResponse::from_json(
                         service::parse_response(sample_response, kMaxBody, "RecryptData").body)
                         .wrapped_share) {}

void ProtocolWork::serve(std::string_view signature, std::string_view body,
                         std::function<void(std::string response)> answer) {
  service::SignatureHeader header = service::parse_signature(signature);
  service::RequestClaims claims = service::verify_request(header, body, key_);
  service::Message m = service::parse_request(body, kMaxBody);
  if (m.name != "RecryptData") throw std::runtime_error("not a RecryptData");
  auto req = service::RecryptDataRequest::from_json(m.body);
  BookkeepingRow row{claims.kid + ":" + claims.nonce,
                     claims.iat + kSkewSeconds + 1,
                     service::unix_now(),
                     "RecryptData",
                     req.group,
                     claims.kid,
                     claims.kid,
                     req.key_id,
                     200,
                     "OK",
                     req.document,
                     udf::key_fingerprint(req.epk)};
  std::string response = service::serialize_response(
      "RecryptData", 200, "OK",
      service::RecryptDataResponse{recryption::partial(r_, req.epk), wrapped_share_}.to_json());
  writer_.record(std::move(row), [response = std::move(response),
                                  answer = std::move(answer)](bool committed) mutable {
    // A failed commit is answered as recryptd answers it; the load generator counts it.
    answer(committed ? std::move(response)
                     : service::serialize_response("RecryptData", 500,
                                                   "the service could not store the change", {}));
  });
}

}  // namespace recrypt::bench
