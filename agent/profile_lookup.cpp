#include "agent/profile_lookup.hpp"

#include "protocol/agent/rpc.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

namespace {
bool is_account(const std::string& s) { return s.find('@') != std::string::npos; }
}  // namespace

service::PersonalProfile fetch_profile_by_id(service::Client& link, const std::string& id,
                                             std::string* token) {
  service::GetProfileRequest request;
  request.id = id;
  std::string answer = link.get_profile(request).profile;
  auto profile = service::verify_personal_profile(answer);
  if (profile.id() != id)
    throw RpcError(Code::refused,
                   "the service answered profile " + profile.id() + " when asked for " + id);
  if (token != nullptr) *token = std::move(answer);
  return profile;
}

service::PersonalProfile fetch_profile(service::Client& link,
                                       const std::string& account_or_fingerprint,
                                       std::string* token) {
  service::GetProfileRequest request;
  if (is_account(account_or_fingerprint))
    request.account = account_or_fingerprint;
  else
    request.id = account_or_fingerprint;
  std::string answer = link.get_profile(request).profile;
  auto profile = service::verify_personal_profile(answer);
  if (is_account(account_or_fingerprint) ? profile.account != account_or_fingerprint
                                         : !udf::matches(profile.id(), account_or_fingerprint))
    throw RpcError(Code::refused, "the service answered the profile of " + profile.account + " (" +
                                      profile.id() + ") when asked for " + account_or_fingerprint);
  if (token != nullptr) *token = std::move(answer);
  return profile;
}

service::PersonalProfile fetch_confirmed_profile(service::Client& link, KnownProfiles& known,
                                                 const std::string& account_or_fingerprint,
                                                 const std::optional<std::string>& fingerprint,
                                                 std::string* token) {
  service::PersonalProfile profile = fetch_profile(link, account_or_fingerprint, token);
  if (fingerprint) {
    if (!udf::matches(profile.id(), *fingerprint))
      throw RpcError(Code::refused, "the service answered profile " + profile.id() + " for " +
                                        account_or_fingerprint +
                                        ", which does not match the fingerprint you gave (" +
                                        *fingerprint + ")");
  } else if (is_account(account_or_fingerprint) &&
             !known.find(KnownKind::account, account_or_fingerprint)) {
    throw RpcError(Code::refused,
                   account_or_fingerprint +
                       " is not known to this agent yet: ask them for their fingerprint (`recrypt "
                       "profile show`) and give it with --fingerprint");
  }
  known.check_or_pin(KnownKind::account, profile.account, profile.id());
  return profile;
}

}  // namespace recrypt::agent
