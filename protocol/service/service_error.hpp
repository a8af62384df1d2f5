// The service layer's one error type: the Status and StatusDescription of a response, as the
// Mesh/Recrypt drafts put them in every message. The HTTP status mirrors Status.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace recrypt::service {

// The codes we use (docs/SERVICE.md lists when each is answered).
namespace status {
inline constexpr int kOk = 201;
inline constexpr int kPending = 202;  // RecryptData: held for an administrator's review
inline constexpr int kMalformed = 400;
inline constexpr int kUnauthorized = 401;  // bad or missing signature, or not permitted
inline constexpr int kNotFound = 404;
inline constexpr int kConflict = 409;
inline constexpr int kTooLarge = 413;
inline constexpr int kTooManyRequests = 429;  // a quota is reached (Retry-After says when)
inline constexpr int kInternal = 500;
inline constexpr int kUnavailable = 503;
}  // namespace status

// The description of a 401 to a request whose nonce the service has seen: one text wherever a
// service detects it (its nonce cache, a shared store's nonce table), so that what gathers
// answers (a RecryptBatch) can tell a replay from any other 401.
inline constexpr std::string_view kReplayDescription = "request is a replay (nonce already seen)";

// The description of the 400 to a transaction the service does not know: one text, so that a
// client can tell an instance older than a transaction (behind one address during a rolling
// upgrade, its Hello answered by a newer one) from a request the service refused.
inline std::string unknown_transaction_description(std::string_view transaction) {
  return "unknown transaction " + std::string(transaction);
}

class ServiceError : public std::runtime_error {
 public:
  ServiceError(int status, const std::string& description)
      : std::runtime_error(description), status_(status) {}
  int status() const noexcept { return status_; }
  const char* description() const noexcept { return what(); }
  // True when the request may have been carried out although no answer came back
  // (OutcomeUnknown): repeating it could do it twice.
  bool maybe_applied() const noexcept { return maybe_applied_; }

 protected:
  bool maybe_applied_ = false;

 private:
  int status_;
};

// Status 503 to a change that reached a service which then gave no answer (it crashed, the
// connection broke, the answer timed out): it may have been applied. The client does not
// send it again; the caller reads the state back and decides (docs/SERVICE.md §8).
class OutcomeUnknown : public ServiceError {
 public:
  explicit OutcomeUnknown(const std::string& description)
      : ServiceError(status::kUnavailable, description) {
    maybe_applied_ = true;
  }
};

// Status 202 to a RecryptData: no refusal, but no partial either until an administrator
// approves review request `request()` (docs/SERVICE.md §5b, Review). A caller that does not
// look for it reports it as any other ServiceError.
class ReviewPending : public ServiceError {
 public:
  ReviewPending(std::uint64_t request, const std::string& description)
      : ServiceError(status::kPending, description), request_(request) {}
  std::uint64_t request() const noexcept { return request_; }

 private:
  std::uint64_t request_;
};

[[noreturn]] void refuse(int status, const std::string& description);

// The reason phrase for an HTTP status line.
const char* status_reason(int status) noexcept;

}  // namespace recrypt::service
