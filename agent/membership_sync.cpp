#include "agent/membership_sync.hpp"

#include "protocol/agent/rpc.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;

service::MembershipState sync_membership(service::Client& link, const std::string& group_id,
                                         const std::string& group_name,
                                         std::optional<service::MembershipState> known) {
  service::MembershipState state = known ? std::move(*known) : service::MembershipState(group_id);
  const std::string prefix = "the service's membership chain of group " + group_name + " ";
  // Ask again for the head this agent verified, to see that the service still has it.
  const std::uint64_t verified = state.length();
  std::uint64_t from = verified > 0 ? verified - 1 : 0;
  bool head_checked = verified == 0;
  for (;;) {
    auto page = link.read_membership(service::ReadMembershipRequest{group_id, from});
    if (page.group != group_id)
      throw RpcError(Code::refused, prefix + "was answered for another group");
    if (page.length < verified)
      throw RpcError(Code::refused,
                     prefix + "has " + std::to_string(page.length) +
                         " records, but this agent verified " + std::to_string(verified) +
                         ": records were dropped (or the service restored an old state)");
    for (const std::string& token : page.records) {
      if (!head_checked) {
        head_checked = true;
        if (service::record_hash(token) != state.head()->hash)
          throw RpcError(Code::refused,
                         prefix + "has another record " + std::to_string(verified - 1) +
                             " than the one this agent verified: the chain was forked");
        ++from;
        continue;
      }
      try {
        service::SignedRecord record = service::parse_record(token);
        // Said here, before check_record would: its words for a record that does not extend the
        // head are meant for an administrator who lost a race ("try again"), which a service
        // serving records out of their places is not.
        if (record.record.seq != from)
          throw RpcError(Code::refused, prefix + "serves record " +
                                            std::to_string(record.record.seq) +
                                            " in the place of record " + std::to_string(from) +
                                            ": records were dropped or reordered");
        state.append(record);
      } catch (const service::ServiceError& e) {
        throw RpcError(Code::refused, prefix + "does not verify at record " + std::to_string(from) +
                                          ": " + e.what());
      }
      ++from;
    }
    if (from >= page.length) break;
    if (page.records.empty())
      throw RpcError(Code::refused, prefix + "claims " + std::to_string(page.length) +
                                        " records but serves " + std::to_string(from));
  }
  if (!head_checked)
    throw RpcError(Code::refused, prefix + "no longer serves the record this agent verified last");
  return state;
}

}  // namespace recrypt::agent
