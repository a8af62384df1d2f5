#include "agent/lost_answer.hpp"

#include <exception>

#include "protocol/service/membership.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {

namespace {

enum class AtSeq { ours, empty, another };

AtSeq read_back(service::Client& link, const std::string& group_id, std::uint64_t seq,
                const std::string& token) {
  auto page = link.read_membership(service::ReadMembershipRequest{group_id, seq});
  if (page.length <= seq || page.records.empty()) return AtSeq::empty;
  return service::record_hash(page.records.front()) == service::record_hash(token) ? AtSeq::ours
                                                                                   : AtSeq::another;
}

}  // namespace

void send_membership_change(service::Client& link, const std::string& group_id, std::uint64_t seq,
                            const std::string& token, const std::function<void()>& send) {
  constexpr int kSends = 3;
  for (int sent = 1;; ++sent) {
    try {
      send();
      return;
    } catch (const service::ServiceError& e) {
      // A 409 after a lost answer may be our own first copy, applied after all.
      bool unsettled = e.maybe_applied() || (sent > 1 && e.status() == service::status::kConflict);
      if (!unsettled || sent == kSends) throw;
      std::exception_ptr lost = std::current_exception();
      AtSeq found;
      try {
        found = read_back(link, group_id, seq, token);
      } catch (const service::ServiceError&) {
        std::rethrow_exception(lost);
      }
      if (found == AtSeq::ours) return;
      if (found == AtSeq::another)
        service::refuse(service::status::kConflict,
                        "the group's membership chain moved on while the answer was lost: "
                        "record " +
                            std::to_string(seq) + " is another change than this one; try again");
    }
  }
}

}  // namespace recrypt::agent
