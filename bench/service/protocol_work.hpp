// What every RecryptData server must do per request beyond the transport and the floor's EC
// work, done with recryptd's own code: the signature header read as recryptd reads it, the
// request's envelope parsed and RecryptDataRequest::from_json (its point checked), the key
// agreement fingerprinted for the audit, the RecryptDataResponse serialized, and one row of
// bookkeeping committed before the answer (bookkeeping_writer.hpp). Left out, as recryptd's
// own and not the protocol's: the signer's lookup and cache, the audience, time and replay
// checks (the replay cache is recryptd's; the durable nonce is here), the plan's reads and
// cache, the sealed recryption key's opening, quotas, reviews and the request log.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "bench/service/bookkeeping_writer.hpp"
#include "protocol/jws.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::bench {

class ProtocolWork {
 public:
  // `sample_response` is a real answer to a RecryptData: its wrapped share is sent back in
  // every answer, as recryptd sends the one stored for the device.
  ProtocolWork(const Point& signer_key, const std::string& sample_response);

  // Serves one RecryptData: throws on a request that does not verify or parse; else `answer`
  // gets the response body, on the writer's thread, once the request's row is committed.
  void serve(std::string_view signature, std::string_view body,
             std::function<void(std::string response)> answer);

  // The thread that commits the bookkeeping.
  const ThreadCpuClocks& cpu_clocks() const { return writer_.cpu_clocks(); }

 private:
  jws::VerifyKey key_;
  Scalar r_;
  std::string wrapped_share_;
  BookkeepingWriter writer_;
};

}  // namespace recrypt::bench
