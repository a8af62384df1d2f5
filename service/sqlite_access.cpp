// The SQLite Store's row mapping: each record to and from the columns of its table.
#include "service/sqlite_access.hpp"

#include <algorithm>

#include "protocol/service/service_error.hpp"
#include "service/row_encoding.hpp"

namespace recrypt::service {
namespace {

using sqlite::Sql;
using sqlite::Statement;

constexpr std::size_t kRowsPerInsert = 32;

// The texts of "INSERT INTO table(columns) VALUES(?, ...), (?, ...), ..." for 1 to
// kRowsPerInsert rows, made once.
class MultiInsert {
 public:
  MultiInsert(Sql head, int columns) {
    for (std::size_t n = 1; n <= kRowsPerInsert; ++n)
      texts_.push_back(Sql::insert_rows(head, columns, n));
  }
  Sql sql(std::size_t rows) const { return texts_.at(rows - 1); }

 private:
  std::vector<Sql> texts_;
};

std::vector<AuditRecord> audit_rows(Statement& s, const std::string& group_id) {
  std::vector<AuditRecord> out;
  while (s.step())
    out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.integer(1), s.text(2), group_id,
                   s.text(3), s.text(4), s.text(5), static_cast<int>(s.integer(6)), s.text(7),
                   s.text(8), s.text(9)});
  return out;
}

}  // namespace

std::optional<SignerRecord> SqliteAccess::signer(const std::string& kid) {
  Statement s(c_, "SELECT kid, profile_id, jwk, encryption_id FROM signers WHERE kid = ?");
  s.bind(1, kid);
  if (!s.step()) return std::nullopt;
  return SignerRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
}

std::optional<ProfileRecord> SqliteAccess::profile_by_id(const std::string& id) {
  Statement s(c_, "SELECT id, type, name, token FROM profiles WHERE id = ?");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return ProfileRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
}

std::optional<ProfileRecord> SqliteAccess::profile_by_name(const std::string& type,
                                                           const std::string& name) {
  Statement s(c_, "SELECT id, type, name, token FROM profiles WHERE type = ? AND name = ?");
  s.bind(1, type).bind(2, name);
  if (!s.step()) return std::nullopt;
  return ProfileRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
}

std::optional<GroupRecord> SqliteAccess::group(const std::string& ref) {
  // An id wins over a name that happens to read like one.
  Statement s(c_,
              "SELECT id, name, token, key_id, key_ids, chain_length, chain_head, policy "
              "FROM groups_ WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1");
  s.bind(1, ref);
  if (!s.step()) return std::nullopt;
  return GroupRecord{s.text(0),
                     s.text(1),
                     s.text(2),
                     s.text(3),
                     split_ids(s.text(4)),
                     static_cast<std::uint64_t>(s.integer(5)),
                     s.text(6),
                     GroupPolicy::from_json(Json::parse(s.text(7)))};
}

std::optional<MemberRecord> SqliteAccess::member(const std::string& group_id,
                                                 const std::string& member_id) {
  Statement s(
      c_, "SELECT account, privileges, status FROM members WHERE group_id = ? AND member_id = ?");
  s.bind(1, group_id).bind(2, member_id);
  if (!s.step()) return std::nullopt;
  return MemberRecord{group_id, member_id, s.text(0), privileges_of(s.integer(1)),
                      parse_status(s.text(2))};
}

std::vector<MemberRecord> SqliteAccess::members(const std::string& group_id) {
  Statement s(c_,
              "SELECT member_id, account, privileges, status FROM members WHERE group_id = ? ORDER "
              "BY member_id");
  s.bind(1, group_id);
  std::vector<MemberRecord> out;
  while (s.step())
    out.push_back(
        {group_id, s.text(0), s.text(1), privileges_of(s.integer(2)), parse_status(s.text(3))});
  return out;
}

std::size_t SqliteAccess::active_supers(const std::string& group_id) {
  // privileges >= 4 is the partial index's own condition (SUPER is bit 4), which SQLite
  // needs to see to use it.
  Statement s(c_,
              "SELECT count(*) FROM members INDEXED BY members_super WHERE group_id = ? AND "
              "privileges >= 4 AND status = 'ACTIVE'");
  s.bind(1, group_id);
  s.step();
  return static_cast<std::size_t>(s.integer(0));
}

std::vector<MemberRecord> SqliteAccess::members_after(const std::string& group_id,
                                                      const std::string& after,
                                                      std::uint64_t limit) {
  Statement s(c_,
              "SELECT member_id, account, privileges, status FROM members WHERE group_id = ? AND "
              "member_id > ? ORDER BY member_id LIMIT ?");
  s.bind(1, group_id).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
  std::vector<MemberRecord> out;
  while (s.step())
    out.push_back(
        {group_id, s.text(0), s.text(1), privileges_of(s.integer(2)), parse_status(s.text(3))});
  return out;
}

std::optional<KeyRecord> SqliteAccess::key(const std::string& group_id,
                                           const std::string& member_id,
                                           const std::string& key_id) {
  Statement s(c_,
              "SELECT recryption_key, wrapped_shares, admin_keys FROM member_keys "
              "WHERE group_id = ? AND member_id = ? AND key_id = ?");
  s.bind(1, group_id).bind(2, member_id).bind(3, key_id);
  if (!s.step()) return std::nullopt;
  return KeyRecord{group_id, member_id, key_id, s.blob(0), s.text(1), s.text(2)};
}

std::vector<std::string> SqliteAccess::member_key_ids(const std::string& group_id,
                                                      const std::string& member_id) {
  Statement s(c_, "SELECT key_id FROM member_keys WHERE group_id = ? AND member_id = ?");
  s.bind(1, group_id).bind(2, member_id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<std::string> SqliteAccess::membership(const std::string& group_id, std::uint64_t from,
                                                  std::uint64_t limit) {
  Statement s(c_,
              "SELECT token FROM membership WHERE group_id = ? AND seq >= ? ORDER BY seq LIMIT ?");
  s.bind(1, group_id)
      .bind(2, static_cast<std::int64_t>(from))
      .bind(3, static_cast<std::int64_t>(limit));
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

std::vector<AuditRecord> SqliteAccess::audit(const std::string& group_id, std::uint64_t after,
                                             std::uint64_t limit) {
  Statement s(c_,
              "SELECT seq, time, txn, member, device, key_id, status, description, document, "
              "agreement FROM audit WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?");
  s.bind(1, group_id)
      .bind(2, static_cast<std::int64_t>(after))
      .bind(3, static_cast<std::int64_t>(limit));
  return audit_rows(s, group_id);
}

std::vector<AuditRecord> SqliteAccess::audit_of_agreements(
    const std::string& group_id, const std::vector<std::string>& agreements, std::uint64_t after,
    std::uint64_t limit) {
  // The ids go in as one bound JSON array, so that the SQL text stays a literal whatever their
  // number. INDEXED BY holds the planner to the agreement index (a seek per id, from `after`
  // on), where it would otherwise walk the whole group's log in seq order; the condition
  // agreement != '' is the partial index's own, which SQLite needs to see to use it.
  Statement s(c_,
              "SELECT seq, time, txn, member, device, key_id, status, description, document, "
              "agreement FROM audit INDEXED BY audit_agreement WHERE group_id = ?1 AND "
              "agreement != '' AND agreement IN (SELECT value FROM json_each(?2)) AND seq > ?3 "
              "ORDER BY seq LIMIT ?4");
  s.bind(1, group_id)
      .bind(2, Json(agreements).dump())
      .bind(3, static_cast<std::int64_t>(after))
      .bind(4, static_cast<std::int64_t>(limit));
  return audit_rows(s, group_id);
}

std::vector<std::pair<std::string, std::int64_t>> SqliteAccess::answered_recryptions(
    const std::string& group_id, std::int64_t since) {
  // Newest first along audit_group, stopping a minute past `since`: records are numbered in
  // the order they were stored, which follows their time but for the writer's batching. An
  // index by time would cost every RecryptData an index entry; this read happens once per
  // group after a start.
  constexpr std::int64_t kOutOfOrder = 60;
  Statement s(c_,
              "SELECT member, time, txn, status FROM audit WHERE group_id = ? ORDER BY seq DESC");
  s.bind(1, group_id);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (s.step()) {
    std::int64_t time = s.integer(1);
    if (time < since - kOutOfOrder) break;
    if (time >= since && s.integer(3) == status::kOk && s.text(2) == "RecryptData")
      out.emplace_back(s.text(0), time);
  }
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> SqliteAccess::live_nonces(std::int64_t now) {
  Statement s(c_, "SELECT nonce, expires FROM nonces WHERE expires >= ? ORDER BY expires");
  s.bind(1, now);
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (s.step()) out.emplace_back(s.text(0), s.integer(1));
  return out;
}

void SqliteAccess::put_profile(const ProfileRecord& p, const std::vector<SignerRecord>& signers) {
  Statement(c_, "INSERT OR REPLACE INTO profiles(id, type, name, token) VALUES(?, ?, ?, ?)")
      .bind(1, p.id)
      .bind(2, p.type)
      .bind(3, p.name)
      .bind(4, p.token)
      .run();
  Statement(c_, "DELETE FROM signers WHERE profile_id = ?").bind(1, p.id).run();
  for (const SignerRecord& s : signers)
    Statement(c_, "INSERT INTO signers(kid, profile_id, jwk, encryption_id) VALUES(?, ?, ?, ?)")
        .bind(1, s.kid)
        .bind(2, s.profile_id)
        .bind(3, s.jwk)
        .bind(4, s.encryption_id)
        .run();
}

void SqliteAccess::insert_group(const GroupRecord& g) {
  Statement(c_, "INSERT INTO groups_(id, name, token, key_id, key_ids) VALUES(?, ?, ?, ?, ?)")
      .bind(1, g.id)
      .bind(2, g.name)
      .bind(3, g.token)
      .bind(4, g.key_id)
      .bind(5, join_ids(g.key_ids))
      .run();
}

void SqliteAccess::update_group(const GroupRecord& g) {
  Statement(c_, "UPDATE groups_ SET name = ?, token = ?, key_id = ?, key_ids = ? WHERE id = ?")
      .bind(1, g.name)
      .bind(2, g.token)
      .bind(3, g.key_id)
      .bind(4, join_ids(g.key_ids))
      .bind(5, g.id)
      .run();
}

void SqliteAccess::insert_member(const MemberRecord& m) {
  Statement(
      c_,
      "INSERT INTO members(group_id, member_id, account, privileges, status) VALUES(?, ?, ?, ?, ?)")
      .bind(1, m.group_id)
      .bind(2, m.member_id)
      .bind(3, m.account)
      .bind(4, privilege_bits(m.privileges))
      .bind(5, to_string(m.status))
      .run();
}

void SqliteAccess::update_member(const MemberRecord& m) {
  Statement(c_,
            "UPDATE members SET account = ?, privileges = ?, status = ? WHERE group_id = ? AND "
            "member_id = ?")
      .bind(1, m.account)
      .bind(2, privilege_bits(m.privileges))
      .bind(3, to_string(m.status))
      .bind(4, m.group_id)
      .bind(5, m.member_id)
      .run();
}

void SqliteAccess::put_key(const KeyRecord& k) {
  write_key_row(
      "INSERT OR REPLACE INTO member_keys(group_id, member_id, key_id, recryption_key, "
      "wrapped_shares, admin_keys) VALUES(?, ?, ?, ?, ?, NULLIF(?, ''))",
      k);
}

void SqliteAccess::write_key_row(sqlite::Sql insert, const KeyRecord& k) {
  Statement(c_, insert)
      .bind(1, k.group_id)
      .bind(2, k.member_id)
      .bind(3, k.key_id)
      .bind_blob(4, k.sealed_recryption_key)
      .bind(5, k.wrapped_shares)
      .bind(6, k.admin_keys)
      .run();
}

void SqliteAccess::clear_admin_keys(const std::string& group_id, const std::string& member_id) {
  Statement(c_,
            "UPDATE member_keys SET admin_keys = NULL WHERE group_id = ? AND member_id = ? AND "
            "admin_keys IS NOT NULL")
      .bind(1, group_id)
      .bind(2, member_id)
      .run();
}

void SqliteAccess::put_policy(const std::string& group_id, const GroupPolicy& policy) {
  Statement(c_, "UPDATE groups_ SET policy = ? WHERE id = ?")
      .bind(1, policy.to_json().dump())
      .bind(2, group_id)
      .run();
}

void SqliteAccess::append_membership(const std::string& group_id, std::uint64_t seq,
                                     const std::string& token, const std::string& hash) {
  Statement(c_, "INSERT INTO membership(group_id, seq, token) VALUES(?, ?, ?)")
      .bind(1, group_id)
      .bind(2, static_cast<std::int64_t>(seq))
      .bind(3, token)
      .run();
  Statement(c_, "UPDATE groups_ SET chain_length = ?, chain_head = ? WHERE id = ?")
      .bind(1, static_cast<std::int64_t>(seq + 1))
      .bind(2, hash)
      .bind(3, group_id)
      .run();
}

void SqliteAccess::insert_nonce(const std::string& nonce, std::int64_t expires) {
  Statement(c_, "INSERT INTO nonces(nonce, expires) VALUES(?, ?)")
      .bind(1, nonce)
      .bind(2, expires)
      .run();
}

void SqliteAccess::append_audit(const AuditRecord& r) {
  Statement(c_,
            "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description, "
            "document, agreement) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, r.time)
      .bind(2, r.transaction)
      .bind(3, r.group)
      .bind(4, r.member)
      .bind(5, r.device)
      .bind(6, r.key_id)
      .bind(7, static_cast<std::int64_t>(r.status))
      .bind(8, r.description)
      .bind(9, r.document)
      .bind(10, r.agreement)
      .run();
}

void SqliteAccess::insert_bookkeeping(const std::vector<const Bookkeeping*>& entries) {
  static const MultiInsert nonces("INSERT INTO nonces(nonce, expires)", 2);
  static const MultiInsert audits(
      "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description, "
      "document, agreement)",
      10);
  for (std::size_t start = 0; start < entries.size(); start += kRowsPerInsert) {
    std::size_t rows = std::min(kRowsPerInsert, entries.size() - start);
    Statement n(c_, nonces.sql(rows));
    Statement a(c_, audits.sql(rows));
    for (std::size_t i = 0; i < rows; ++i) {
      const Bookkeeping& b = *entries[start + i];
      int col = static_cast<int>(i) * 2;
      n.bind(col + 1, b.nonce).bind(col + 2, b.nonce_expires);
      const AuditRecord& r = b.audit;
      col = static_cast<int>(i) * 10;
      a.bind(col + 1, r.time)
          .bind(col + 2, r.transaction)
          .bind(col + 3, r.group)
          .bind(col + 4, r.member)
          .bind(col + 5, r.device)
          .bind(col + 6, r.key_id)
          .bind(col + 7, static_cast<std::int64_t>(r.status))
          .bind(col + 8, r.description)
          .bind(col + 9, r.document)
          .bind(col + 10, r.agreement);
    }
    n.run();
    a.run();
  }
}

void SqliteAccess::nested(const std::function<void()>& work) {
  Statement(c_, "SAVEPOINT nested").run();
  try {
    work();
  } catch (...) {
    Statement(c_, "ROLLBACK TO nested").run();
    Statement(c_, "RELEASE nested").run();
    throw;
  }
  Statement(c_, "RELEASE nested").run();
}

}  // namespace recrypt::service
