// The SQLite Store's reviews table (schema v5): recryptions held for an administrator's
// review, one row per group, member and key agreement.
#include "service/sqlite_access.hpp"

namespace recrypt::service {
namespace {

using sqlite::Statement;

// The columns every SELECT below lists, in this order.
Review review_of(const Statement& s) {
  Review r;
  r.id = static_cast<std::uint64_t>(s.integer(0));
  r.member = s.text(1);
  r.device = s.text(2);
  r.key_id = s.text(3);
  r.agreement = s.text(4);
  r.document = s.text(5);
  r.requested = s.integer(6);
  r.state = s.text(7);
  r.decided_by = s.text(8);
  r.decided = s.integer(9);
  return r;
}

}  // namespace

std::optional<Review> SqliteAccess::review(const std::string& group_id,
                                           const std::string& member_id,
                                           const std::string& agreement) {
  Statement s(c_,
              "SELECT id, member, device, key_id, agreement, document, requested, state, "
              "decided_by, decided FROM reviews WHERE group_id = ? AND member = ? AND "
              "agreement = ?");
  s.bind(1, group_id).bind(2, member_id).bind(3, agreement);
  if (!s.step()) return std::nullopt;
  return review_of(s);
}

std::optional<Review> SqliteAccess::review_by_id(const std::string& group_id, std::uint64_t id) {
  Statement s(c_,
              "SELECT id, member, device, key_id, agreement, document, requested, state, "
              "decided_by, decided FROM reviews WHERE group_id = ? AND id = ?");
  s.bind(1, group_id).bind(2, static_cast<std::int64_t>(id));
  if (!s.step()) return std::nullopt;
  return review_of(s);
}

std::vector<Review> SqliteAccess::reviews(const std::string& group_id, const std::string& state,
                                          std::uint64_t limit) {
  Statement s(c_,
              "SELECT id, member, device, key_id, agreement, document, requested, state, "
              "decided_by, decided FROM reviews WHERE group_id = ? AND (? = '' OR state = ?) "
              "ORDER BY id LIMIT ?");
  s.bind(1, group_id).bind(2, state).bind(3, state).bind(4, static_cast<std::int64_t>(limit));
  std::vector<Review> out;
  while (s.step()) out.push_back(review_of(s));
  return out;
}

Review SqliteAccess::open_review(const std::string& group_id, const Review& asked) {
  // UNIQUE(group_id, member, agreement): a second request for the same document finds the
  // first, whatever its state.
  Statement(c_,
            "INSERT OR IGNORE INTO reviews(group_id, member, device, key_id, agreement, document, "
            "requested, state) VALUES(?, ?, ?, ?, ?, ?, ?, 'pending')")
      .bind(1, group_id)
      .bind(2, asked.member)
      .bind(3, asked.device)
      .bind(4, asked.key_id)
      .bind(5, asked.agreement)
      .bind(6, asked.document)
      .bind(7, asked.requested)
      .run();
  return *review(group_id, asked.member, asked.agreement);
}

void SqliteAccess::decide_review(const std::string& group_id, std::uint64_t id,
                                 const std::string& state, const std::string& decided_by,
                                 std::int64_t decided) {
  Statement(c_,
            "UPDATE reviews SET state = ?, decided_by = ?, decided = ? WHERE group_id = ? "
            "AND id = ?")
      .bind(1, state)
      .bind(2, decided_by)
      .bind(3, decided)
      .bind(4, group_id)
      .bind(5, static_cast<std::int64_t>(id))
      .run();
}

}  // namespace recrypt::service
