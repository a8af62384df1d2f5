// What one document.open may cost, and what it serves. A document is untrusted input: the
// format allows 1024 recipients of up to 16 key agreements each, and every agreement the agent
// acts on costs a device operation, a signed RecryptData call to the service (each one written
// to the service's audit log), or both; an all-of recipient on a device that gives only x(P)
// costs 2^parts key unwraps. These limits bound the worst document to a small cost, and a
// document beyond them is refused, naming the limit, before any device or network use.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/member_combine.hpp"
#include "agent/memberships.hpp"
#include "protocol/jwe.hpp"

namespace recrypt::agent {

// Where this agent asks for recryptions: groups at its user's own service, and the groups the
// user joined on other services (memberships.hpp), each only at the service it was joined at.
// A document cannot send this user's signed requests to a server of its choosing.
struct RecryptionScope {
  std::string own_service;
  std::vector<Membership> joined;
  // The address to ask for the group `locator` names, or nullopt: never contacted.
  std::optional<std::string> service_for(const jwe::Locator& locator) const;
};

// Recipients this agent acts on: those addressed to a present device's key or to groups in its
// RecryptionScope. The others (other people's devices and groups) cost a string comparison.
// 16: a document sent to many people, several of them groups this user belongs to.
inline constexpr std::size_t kMaxRecipientsExamined = 16;
// Recryptions in one document.open, all devices together: RecryptData calls, and each
// agreement of a RecryptBatch. 8: an all-of recipient of up to 8 groups, or a document to
// several of this user's groups, read from one device, with room for a second device to
// retry the groups the first holds no share of.
inline constexpr std::size_t kMaxRecryptions = 8;
// Key-encryption-key derivations and key unwraps in one document.open (each a SHA-256 and an
// AES key unwrap). 2^10: an all-of of 8 groups on a device that gives only x(P) is 2^8 tries,
// with room for the other recipients and a second device.
inline constexpr std::size_t kMaxUnwrapTries = 1024;

// document.open serves documents only: the envelope's protected "cty" must be the .jcd
// metadata type (docs/FORMAT.md §2). Anything else, above all a wrapped share, whose plaintext
// is the member's share x, is refused with RpcError(refused) naming its type.
void require_document_content_type(const jwe::Envelope& envelope);

// One try: a recipient with one device. Recipient by recipient, each with every present device
// whose key or service every one of its key agreements names.
struct OpenAttempt {
  std::size_t recipient;
  std::size_t device;
};

struct OpenPlan {
  std::vector<OpenAttempt> attempts;
  std::vector<std::string> skipped;  // why recipients that name this user cannot be tried
};

// The attempts for `envelope`, or RpcError(refused) naming the limit the document exceeds:
// recipients examined, recryptions (distinct group key agreements in `scope`), unwrap tries
// (counted as if every device gave only x(P)). A recipient whose group is outside `scope` is
// skipped, the reason naming the group and `recrypt group join`.
OpenPlan plan_open(const jwe::Envelope& envelope, const std::vector<DeviceKeys>& devices,
                   const RecryptionScope& scope);

// The refusal when a limit is reached while the document is being opened.
std::string limit_reached(std::string_view what, std::size_t limit);

}  // namespace recrypt::agent
