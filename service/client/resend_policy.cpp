#include "service/client/resend_policy.hpp"

#include <array>

namespace recrypt::service {

namespace {

// Sending these twice changes nothing a caller relies on. Reads change no state at all.
// RecryptData stores an audit record and counts against a quota, but a second one only
// records what happened (the member did ask twice) and its answer is the same partial
// recryption: losing the first answer to a dead instance must not cost a document.
// BeginRotation and AddRotationEntries change state, but only as themselves again: the same
// rotation begun twice goes on with what it staged, and a page of entries staged twice
// replaces itself (an upsert per member); nothing the group serves changes before the commit.
// Every other transaction changes state (a profile, a group, a member, a membership record,
// a key, a policy, a review decision) and is never resent: a second copy would either do it
// twice or be refused for a reason that hides whether the first was applied, so the caller
// gets OutcomeUnknown and reads it back. A transaction added later is `never` until it is
// named here.
constexpr std::array<std::string_view, 11> kResendOnce = {
    "Hello",          "GetProfile",    "GetGroup",           "ReadAudit",
    "ReadMembership", "GetAdminKeys",  "ListReviews",        "RecryptData",
    "RecryptBatch",   "BeginRotation", "AddRotationEntries",
};

}  // namespace

Resend resend_policy(std::string_view transaction) {
  for (auto name : kResendOnce)
    if (name == transaction) return Resend::once;
  return Resend::never;
}

}  // namespace recrypt::service
