// RecryptBatch (docs/SERVICE.md §4.7b): the key agreements one device needs from this service
// for one document, under one signature. Each is decided by recrypt_data(), the very code of
// a single RecryptData: the same checks, quota, review, audit record (a RecryptData record
// with the document id), and on a shared store the same re-decision after a stale read. The
// answer waits for every one of them and lists their outcomes in the request's order.
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "protocol/service/envelope.hpp"
#include "service/authenticated.hpp"
#include "service/service.hpp"

namespace recrypt::service {
namespace {

// A shared store refuses a replay where it stores the nonce (pg_access.cpp), so the refusal
// reaches the batch as its first agreement's answer, the one that carries the request's own
// nonce: then the whole batch is that replay.
constexpr std::string_view kReplay = kReplayDescription;

// The outcomes gathered so far; the last agreement to finish answers the request.
struct Gathered {
  explicit Gathered(std::size_t count, std::function<void(Reply)> answer)
      : results(count), left(count), done(std::move(answer)) {}
  std::mutex mutex;
  std::vector<Json> results;
  std::size_t left;
  std::string kid;
  std::string group;  // the first agreement's, for the request log
  std::function<void(Reply)> done;
};

// One agreement's RecryptData answer, as the batch lists it: the payload with its own Status
// and StatusDescription. The service wrote that body itself; it parses.
Json payload_of(const Reply& reply) {
  Json doc = Json::parse(reply.body, nullptr, false);
  if (doc.is_object() && doc.size() == 1 && doc.begin()->is_object()) return *doc.begin();
  return Json{{"Status", status::kInternal}, {"StatusDescription", "internal error"}};
}

Reply batch_reply(Gathered& g) {
  static const std::string type(RecryptBatchRequest::kName);
  Reply r;
  r.type = type;
  r.kid = g.kid;
  r.group = g.group;
  const Json& first = g.results.front();
  if (first.value("Status", 0) == status::kUnauthorized &&
      first.value("StatusDescription", std::string()) == kReplay) {
    r.status = status::kUnauthorized;
    r.body = serialize_response(type, r.status, kReplay, Json::object());
    return r;
  }
  r.status = status::kOk;
  r.body = serialize_response(type, r.status, "OK", Json{{"results", std::move(g.results)}});
  return r;
}

}  // namespace

void Service::recrypt_batch(const RecryptBatchRequest& req, Authenticated a,
                            std::function<void(Reply)> done) {
  auto gathered = std::make_shared<Gathered>(req.agreements.size(), std::move(done));
  gathered->kid = a.caller.signer.kid;
  for (std::size_t i = 0; i < req.agreements.size(); ++i) {
    const RecryptAgreement& agreement = req.agreements[i];
    auto body = std::make_shared<const Json>(
        RecryptDataRequest{agreement.group, agreement.key_id, agreement.epk, req.document}
            .to_json());
    // Each agreement leaves its own nonce row beside its audit record, as a RecryptData does:
    // the first the request's nonce, the others derived from it. A '#' is never in a signed
    // nonce (base64url), so no request's nonce can be one of these, and a replay of the batch
    // finds the first taken.
    Authenticated item = a;
    if (i > 0) item.caller.claims.nonce += "#" + std::to_string(i);
    recrypt_data(
        std::move(body), std::move(item),
        [gathered, i](Reply reply) {
          Reply answer;
          {
            std::lock_guard lock(gathered->mutex);
            gathered->results[i] = payload_of(reply);
            if (i == 0) gathered->group = reply.group;
            if (--gathered->left != 0) return;
            answer = batch_reply(*gathered);
          }
          gathered->done(std::move(answer));
        },
        0);
  }
}

}  // namespace recrypt::service
