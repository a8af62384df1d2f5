// The PostgreSQL Store's rotations and rotation_keys tables (schema v2): a key rotation in
// steps, its new profile and record and the members' entries of the new key, held aside until
// the commit moves the entries into member_keys in the same transaction that changes the group.
#include "service/pg_access.hpp"

namespace recrypt::service {

using pg::Params;
using pg::Result;

std::optional<RotationRecord> PgAccess::rotation(const std::string& group_id) {
  Result r = c_.run("SELECT key_id, profile, record, started FROM rotations WHERE group_id = $1",
                    Params().text(group_id));
  if (r.rows() == 0) return std::nullopt;
  return RotationRecord{group_id, r.text(0, 0), r.text(0, 1), r.text(0, 2), r.integer(0, 3)};
}

std::uint64_t PgAccess::rotation_staged(const std::string& group_id) {
  Result r =
      c_.run("SELECT count(*) FROM rotation_keys WHERE group_id = $1", Params().text(group_id));
  return static_cast<std::uint64_t>(r.integer(0, 0));
}

std::optional<std::string> PgAccess::rotation_unstaged_member(const std::string& group_id) {
  Result r = c_.run(
      "SELECT m.member_id FROM members m WHERE m.group_id = $1 AND m.status <> 'REVOKED' "
      "AND NOT EXISTS (SELECT 1 FROM rotation_keys k WHERE k.group_id = $1 AND "
      "k.member_id = m.member_id) LIMIT 1",
      Params().text(group_id));
  if (r.rows() == 0) return std::nullopt;
  return r.text(0, 0);
}

void PgAccess::put_rotation(const RotationRecord& r) {
  drop_rotation(r.group_id);
  c_.run(
      "INSERT INTO rotations(group_id, key_id, profile, record, started) "
      "VALUES($1, $2, $3, $4, $5)",
      Params().text(r.group_id).text(r.key_id).text(r.profile).text(r.record).integer(r.started));
}

void PgAccess::stage_rotation_key(const KeyRecord& k) {
  c_.run(
      "INSERT INTO rotation_keys(group_id, member_id, key_id, recryption_key, wrapped_shares, "
      "admin_keys) VALUES($1, $2, $3, $4, $5, NULLIF($6, '')) ON CONFLICT(group_id, member_id) "
      "DO UPDATE SET key_id = excluded.key_id, recryption_key = excluded.recryption_key, "
      "wrapped_shares = excluded.wrapped_shares, admin_keys = excluded.admin_keys",
      key_params(k));
}

void PgAccess::commit_rotation_keys(const std::string& group_id) {
  c_.run(
      "INSERT INTO member_keys(group_id, member_id, key_id, recryption_key, wrapped_shares, "
      "admin_keys) SELECT group_id, member_id, key_id, recryption_key, wrapped_shares, "
      "admin_keys FROM rotation_keys WHERE group_id = $1 ON CONFLICT(group_id, member_id, "
      "key_id) DO UPDATE SET recryption_key = excluded.recryption_key, wrapped_shares = "
      "excluded.wrapped_shares, admin_keys = excluded.admin_keys",
      Params().text(group_id));
  drop_rotation(group_id);
}

void PgAccess::drop_rotation(const std::string& group_id) {
  c_.run("DELETE FROM rotation_keys WHERE group_id = $1", Params().text(group_id));
  c_.run("DELETE FROM rotations WHERE group_id = $1", Params().text(group_id));
}

}  // namespace recrypt::service
