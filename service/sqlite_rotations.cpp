// The SQLite Store's rotations and rotation_keys tables (schema v6): a key rotation in steps,
// its new profile and record and the members' entries of the new key, held aside until the
// commit moves the entries into member_keys in the same transaction that changes the group.
#include "service/sqlite_access.hpp"

namespace recrypt::service {

using sqlite::Statement;

std::optional<RotationRecord> SqliteAccess::rotation(const std::string& group_id) {
  Statement s(c_, "SELECT key_id, profile, record, started FROM rotations WHERE group_id = ?");
  s.bind(1, group_id);
  if (!s.step()) return std::nullopt;
  return RotationRecord{group_id, s.text(0), s.text(1), s.text(2), s.integer(3)};
}

std::uint64_t SqliteAccess::rotation_staged(const std::string& group_id) {
  Statement s(c_, "SELECT count(*) FROM rotation_keys WHERE group_id = ?");
  s.bind(1, group_id);
  s.step();
  return static_cast<std::uint64_t>(s.integer(0));
}

std::optional<std::string> SqliteAccess::rotation_unstaged_member(const std::string& group_id) {
  Statement s(c_,
              "SELECT m.member_id FROM members m WHERE m.group_id = ?1 AND m.status != 'REVOKED' "
              "AND NOT EXISTS (SELECT 1 FROM rotation_keys k WHERE k.group_id = ?1 AND "
              "k.member_id = m.member_id) LIMIT 1");
  s.bind(1, group_id);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void SqliteAccess::put_rotation(const RotationRecord& r) {
  drop_rotation(r.group_id);
  Statement(c_,
            "INSERT INTO rotations(group_id, key_id, profile, record, started) "
            "VALUES(?, ?, ?, ?, ?)")
      .bind(1, r.group_id)
      .bind(2, r.key_id)
      .bind(3, r.profile)
      .bind(4, r.record)
      .bind(5, r.started)
      .run();
}

void SqliteAccess::stage_rotation_key(const KeyRecord& k) {
  write_key_row(
      "INSERT OR REPLACE INTO rotation_keys(group_id, member_id, key_id, recryption_key, "
      "wrapped_shares, admin_keys) VALUES(?, ?, ?, ?, ?, NULLIF(?, ''))",
      k);
}

void SqliteAccess::commit_rotation_keys(const std::string& group_id) {
  Statement(c_,
            "INSERT OR REPLACE INTO member_keys(group_id, member_id, key_id, recryption_key, "
            "wrapped_shares, admin_keys) SELECT group_id, member_id, key_id, recryption_key, "
            "wrapped_shares, admin_keys FROM rotation_keys WHERE group_id = ?")
      .bind(1, group_id)
      .run();
  drop_rotation(group_id);
}

void SqliteAccess::drop_rotation(const std::string& group_id) {
  Statement(c_, "DELETE FROM rotation_keys WHERE group_id = ?").bind(1, group_id).run();
  Statement(c_, "DELETE FROM rotations WHERE group_id = ?").bind(1, group_id).run();
}

}  // namespace recrypt::service
