// Every transaction recryptd runs, in one table (docs/SERVICE.md §5): its request type, which
// names it (kName) and parses it (from_json); who signs it; what it does to the store; and the
// tx function that runs it. Service::handle looks a request's name up here once and runs the
// row it finds; the fuzz target (fuzz/service_request.cpp) parses each request through the
// same lookup. A name not in the table is an unknown transaction.
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>

#include "protocol/service/messages.hpp"
#include "service/transactions.hpp"

namespace recrypt::service {

// Who signs a transaction's request (docs/SERVICE.md §2).
enum class Signer {
  nobody,     // not signed
  itself,     // the profile in the request, with its own key (PublishProfile)
  known_key,  // a key of a profile published here
};

// What a transaction does to the store besides its nonce and audit record, and so how durable
// its answer is (store.hpp): changes at Durability::full, reads at Durability::process.
enum class Effect { reads, changes };

template <class Req, Signer S, Effect E, auto Run>
struct Transaction {
  using Request = Req;
  static constexpr std::string_view name = Req::kName;
  static constexpr Signer signer = S;
  static constexpr Effect effect = E;
  static constexpr auto run = Run;
};

using Transactions = std::tuple<
    // Answered by the Service itself, from its audience and clock.
    Transaction<HelloRequest, Signer::nobody, Effect::reads, nullptr>,
    // The profile's own signature is checked before the request's (verify_profile).
    Transaction<PublishProfileRequest, Signer::itself, Effect::changes, &tx::publish_profile>,
    Transaction<GetProfileRequest, Signer::nobody, Effect::reads, &tx::get_profile>,
    Transaction<CreateGroupRequest, Signer::known_key, Effect::changes, &tx::create_group>,
    Transaction<UpdateGroupRequest, Signer::known_key, Effect::changes, &tx::update_group>,
    Transaction<GetGroupRequest, Signer::known_key, Effect::reads, &tx::get_group>,
    Transaction<SetPolicyRequest, Signer::known_key, Effect::changes, &tx::set_policy>,
    Transaction<AddMemberRequest, Signer::known_key, Effect::changes, &tx::add_member>,
    Transaction<UpdateMemberRequest, Signer::known_key, Effect::changes, &tx::update_member>,
    // Run by the Service off the writer, in the two steps of tx::recrypt_data (tx::plan_recrypt,
    // its plan kept in the ReadCache, then tx::execute_recrypt); only its nonce and audit record
    // go to the writer, as rows (Store::record).
    Transaction<RecryptDataRequest, Signer::known_key, Effect::reads, &tx::recrypt_data>,
    // Run by the Service (recrypt_batch.cpp): each agreement as a RecryptData of its own.
    Transaction<RecryptBatchRequest, Signer::known_key, Effect::reads, nullptr>,
    Transaction<RotateGroupKeyRequest, Signer::known_key, Effect::changes, &tx::rotate_group_key>,
    // A rotation in steps (tx_rotation.cpp), for groups too large for one RotateGroupKey.
    Transaction<BeginRotationRequest, Signer::known_key, Effect::changes, &tx::begin_rotation>,
    Transaction<AddRotationEntriesRequest, Signer::known_key, Effect::changes,
                &tx::add_rotation_entries>,
    Transaction<CommitRotationRequest, Signer::known_key, Effect::changes, &tx::commit_rotation>,
    Transaction<AbandonRotationRequest, Signer::known_key, Effect::changes, &tx::abandon_rotation>,
    Transaction<ReadMembershipRequest, Signer::known_key, Effect::reads, &tx::read_membership>,
    Transaction<GetAdminKeysRequest, Signer::known_key, Effect::reads, &tx::get_admin_keys>,
    Transaction<MigrateMembershipRequest, Signer::known_key, Effect::changes,
                &tx::migrate_membership>,
    Transaction<ReadAuditRequest, Signer::known_key, Effect::reads, &tx::read_audit>,
    Transaction<ListReviewsRequest, Signer::known_key, Effect::reads, &tx::list_reviews>,
    Transaction<DecideReviewRequest, Signer::known_key, Effect::changes, &tx::decide_review>>;

// Calls `f` with the row (a T{}, T one of Transactions) of the transaction named `name`;
// false when no transaction has that name.
template <class F>
bool with_transaction(std::string_view name, F&& f) {
  return std::apply([&](auto... row) { return ((row.name == name && (f(row), true)) || ...); },
                    Transactions{});
}

namespace detail {
template <class... T>
consteval bool names_are_distinct(std::tuple<T...>*) {
  std::string_view names[] = {T::name...};
  for (std::size_t i = 0; i < sizeof...(T); ++i)
    for (std::size_t j = i + 1; j < sizeof...(T); ++j)
      if (names[i] == names[j]) return false;
  return true;
}
}  // namespace detail
static_assert(detail::names_are_distinct(static_cast<Transactions*>(nullptr)),
              "two transactions share a name");

}  // namespace recrypt::service
