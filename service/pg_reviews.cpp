// The PostgreSQL Store's reviews table: recryptions held for an administrator's review, one
// row per group, member and key agreement.
#include "service/pg_access.hpp"

namespace recrypt::service {
namespace {

using pg::Params;
using pg::Result;

// The columns every SELECT below lists, in this order.
Review review_of(const Result& r, int row) {
  Review out;
  out.id = static_cast<std::uint64_t>(r.integer(row, 0));
  out.member = r.text(row, 1);
  out.device = r.text(row, 2);
  out.key_id = r.text(row, 3);
  out.agreement = r.text(row, 4);
  out.document = r.text(row, 5);
  out.requested = r.integer(row, 6);
  out.state = r.text(row, 7);
  out.decided_by = r.text(row, 8);
  out.decided = r.integer(row, 9);
  return out;
}

}  // namespace

std::optional<Review> PgAccess::review(const std::string& group_id, const std::string& member_id,
                                       const std::string& agreement) {
  Result r = c_.run(
      "SELECT id, member, device, key_id, agreement, document, requested, state, decided_by, "
      "decided FROM reviews WHERE group_id = $1 AND member = $2 AND agreement = $3",
      Params().text(group_id).text(member_id).text(agreement));
  if (r.rows() == 0) return std::nullopt;
  return review_of(r, 0);
}

std::optional<Review> PgAccess::review_by_id(const std::string& group_id, std::uint64_t id) {
  Result r = c_.run(
      "SELECT id, member, device, key_id, agreement, document, requested, state, decided_by, "
      "decided FROM reviews WHERE group_id = $1 AND id = $2",
      Params().text(group_id).integer(static_cast<std::int64_t>(id)));
  if (r.rows() == 0) return std::nullopt;
  return review_of(r, 0);
}

std::vector<Review> PgAccess::reviews(const std::string& group_id, const std::string& state,
                                      std::uint64_t limit) {
  Result r = c_.run(
      "SELECT id, member, device, key_id, agreement, document, requested, state, decided_by, "
      "decided FROM reviews WHERE group_id = $1 AND ($2 = '' OR state = $2) ORDER BY id "
      "LIMIT $3",
      Params().text(group_id).text(state).integer(static_cast<std::int64_t>(limit)));
  std::vector<Review> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(review_of(r, i));
  return out;
}

Review PgAccess::open_review(const std::string& group_id, const Review& asked) {
  // UNIQUE(group_id, member, agreement): a second request for the same document, through
  // any recryptd, finds the first, whatever its state.
  c_.run(
      "INSERT INTO reviews(group_id, member, device, key_id, agreement, document, requested, "
      "state) VALUES($1, $2, $3, $4, $5, $6, $7, 'pending') ON CONFLICT DO NOTHING",
      Params()
          .text(group_id)
          .text(asked.member)
          .text(asked.device)
          .text(asked.key_id)
          .text(asked.agreement)
          .text(asked.document)
          .integer(asked.requested));
  return *review(group_id, asked.member, asked.agreement);
}

void PgAccess::decide_review(const std::string& group_id, std::uint64_t id,
                             const std::string& state, const std::string& decided_by,
                             std::int64_t decided) {
  c_.run(
      "UPDATE reviews SET state = $1, decided_by = $2, decided = $3 WHERE group_id = $4 AND "
      "id = $5",
      Params()
          .text(state)
          .text(decided_by)
          .integer(decided)
          .text(group_id)
          .integer(static_cast<std::int64_t>(id)));
}

}  // namespace recrypt::service
