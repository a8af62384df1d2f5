// recryptd's request front, as the service takes a request apart before any transaction:
// the Recrypt-Signature header (parsed, its kid read, verified against a fixed key, its
// claims extracted) and the body (the tagged envelope, then the typed request of its
// transaction, and a published profile's own signature). Refusals are ServiceError or
// Error; anything else escaping is a bug (recryptd would answer 500).
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

namespace {

using namespace recrypt;
using namespace recrypt::service;

void signature(std::string_view header, std::string_view body) {
  static const jws::VerifyKey key(fuzz::signing_key().public_point());
  SignatureHeader parsed = parse_signature(header);
  (void)verify_request(parsed, body, key);
}

void typed(const Message& m) {
  const Json& b = m.body;
  if (m.name == "Hello") (void)HelloRequest::from_json(b);
  else if (m.name == "PublishProfile") (void)verify_profile(PublishProfileRequest::from_json(b).profile);
  else if (m.name == "GetProfile") (void)GetProfileRequest::from_json(b);
  else if (m.name == "CreateGroup") (void)CreateGroupRequest::from_json(b);
  else if (m.name == "UpdateGroup") (void)UpdateGroupRequest::from_json(b);
  else if (m.name == "GetGroup") (void)GetGroupRequest::from_json(b);
  else if (m.name == "AddMember") (void)AddMemberRequest::from_json(b);
  else if (m.name == "UpdateMember") (void)UpdateMemberRequest::from_json(b);
  else if (m.name == "RecryptData") (void)RecryptDataRequest::from_json(b);
  else if (m.name == "RotateGroupKey") (void)RotateGroupKeyRequest::from_json(b);
  else if (m.name == "ReadAudit") (void)ReadAuditRequest::from_json(b);
  else if (m.name == "ReadMembership") (void)ReadMembershipRequest::from_json(b);
  else if (m.name == "MigrateMembership") {
    for (const std::string& r : MigrateMembershipRequest::from_json(b).records) (void)parse_record(r);
  }
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
  std::string_view body = newline == std::string_view::npos ? std::string_view() : in.substr(newline + 1);
  refusals_only([&] { signature(header, body); });
  refusals_only([&] { typed(parse_request(body, 1 << 20)); });
  return 0;
}
