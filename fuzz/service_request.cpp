// recryptd's request front, as the service takes a request apart before any transaction:
// the Recrypt-Signature header (parsed, its kid read, verified against a fixed key, its
// claims extracted) and the body (the tagged envelope, then the typed request of the
// transaction it names, found in the service's own table, service/transaction_table.hpp),
// and what the transactions then parse of a request: the profile it carries, with its own
// signature, and its membership records. Refusals are ServiceError or Error; anything else
// escaping is a bug (recryptd would answer 500).
//
// Input: the header's value, a newline, the body.
#include "fuzz/fixed_keys.hpp"
#include "protocol/jws.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/request_signature.hpp"
#include "protocol/service/service_error.hpp"
#include "service/transaction_table.hpp"

namespace {

using namespace recrypt;
using namespace recrypt::service;

void signature(std::string_view header, std::string_view body) {
  static const jws::VerifyKey key(fuzz::signing_key().public_point());
  SignatureHeader parsed = parse_signature(header);
  (void)verify_request(parsed, body, key);
}

template <class Request>
void contents(const Request& r) {
  if constexpr (requires(const Request& q) { q.profile; }) (void)verify_profile(r.profile);
  if constexpr (requires(const Request& q) { q.records; })
    for (const std::string& record : r.records) (void)parse_record(record);
}

void typed(const Message& m) {
  with_transaction(m.name, [&]<class T>(T) { contents(T::Request::from_json(m.body)); });
}

template <class F>
void refusals_only(F&& f) {
  try {
    f();
  } catch (const ServiceError&) {
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto newline = in.find('\n');
  std::string_view header = in.substr(0, newline);
  std::string_view body =
      newline == std::string_view::npos ? std::string_view() : in.substr(newline + 1);
  refusals_only([&] { signature(header, body); });
  refusals_only([&] { typed(parse_request(body, 1 << 20)); });
  return 0;
}
