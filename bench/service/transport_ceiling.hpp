// The best a RecryptData server could do over the same HTTP transport: a bare Beast server on
// loopback that, per request, does only the floor's server-side EC work (verify the request's
// signature with a prepared key, multiply a point by r) and answers a fixed, valid
// RecryptDataResponse. No JSON parsing, no store, no log. Run under the same load as recryptd,
// it shows how much of the floor the transport alone leaves, so recryptd's own overhead can be
// told apart from the cost of HTTP over loopback on this host.
//
// The protocol ceiling is the same server doing, besides, what every RecryptData server must
// (protocol_work.hpp): parse and check the request, fingerprint its key agreement, serialize
// the answer, and commit one row of bookkeeping before answering. recryptd's CPU beyond it is
// recryptd's own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "protocol/jws.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::bench {

enum class CeilingWork {
  bare,      // the floor's server work; `response_body` is sent back as is
  protocol,  // also the protocol's (ProtocolWork); `response_body` gives the wrapped share
};

class TransportCeiling {
 public:
  // `signer_key` verifies the load's request signatures; `response_body` is a real answer to
  // a RecryptData.
  TransportCeiling(unsigned threads, const Point& signer_key, std::string response_body,
                   CeilingWork work = CeilingWork::bare);
  ~TransportCeiling();  // stops the server and joins its threads
  TransportCeiling(const TransportCeiling&) = delete;
  TransportCeiling& operator=(const TransportCeiling&) = delete;

  std::uint16_t port() const;

  // CPU seconds the server's threads (and the protocol ceiling's writer) have used so far.
  double cpu_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrypt::bench
