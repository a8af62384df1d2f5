// recryptd's SQLite schema: the migrations from an empty database to the current version,
// which PRAGMA user_version records.
#include "service/sqlite_schema.hpp"

#include <iterator>
#include <string>

namespace recrypt::service {
namespace {

using sqlite::Connection;

constexpr int kSchemaVersion = 6;

// Each migration takes the schema from version i to i + 1, inside one transaction.
constexpr const char* kMigrations[] = {
    R"(CREATE TABLE profiles(id TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, token TEXT NOT NULL);
       CREATE INDEX profiles_name ON profiles(type, name);
       CREATE TABLE signers(kid TEXT PRIMARY KEY, profile_id TEXT NOT NULL, jwk TEXT NOT NULL,
                            encryption_id TEXT NOT NULL);
       CREATE INDEX signers_profile ON signers(profile_id);
       CREATE TABLE groups_(id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token TEXT NOT NULL,
                            key_id TEXT NOT NULL, key_ids TEXT NOT NULL);
       CREATE TABLE members(group_id TEXT NOT NULL, member_id TEXT NOT NULL, account TEXT NOT NULL,
                            privileges INTEGER NOT NULL, status TEXT NOT NULL,
                            PRIMARY KEY(group_id, member_id)) WITHOUT ROWID;
       CREATE TABLE member_keys(group_id TEXT NOT NULL, member_id TEXT NOT NULL, key_id TEXT NOT NULL,
                                recryption_key BLOB NOT NULL, wrapped_shares TEXT NOT NULL,
                                PRIMARY KEY(group_id, member_id, key_id)) WITHOUT ROWID;
       CREATE TABLE nonces(nonce TEXT PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
       CREATE INDEX nonces_expires ON nonces(expires);
       CREATE TABLE audit(seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT NULL, txn TEXT NOT NULL,
                          group_id TEXT NOT NULL, member TEXT NOT NULL, device TEXT NOT NULL,
                          key_id TEXT NOT NULL, status INTEGER NOT NULL, description TEXT NOT NULL);
       CREATE INDEX audit_group ON audit(group_id, seq);)",
    // v2: seen nonces in arrival order instead of keyed by the (random) nonce, so that each
    // insert appends to the last page rather than dirtying a random page of a table that
    // holds a whole skew window of traffic. Uniqueness is the in-memory cache's job; the
    // table only refills it after a restart.
    R"(CREATE TABLE nonces_v2(expires INTEGER NOT NULL, nonce TEXT NOT NULL);
       INSERT INTO nonces_v2(expires, nonce) SELECT expires, nonce FROM nonces ORDER BY expires;
       DROP TABLE nonces;
       ALTER TABLE nonces_v2 RENAME TO nonces;
       CREATE INDEX nonces_expires ON nonces(expires);)",
    // v3: membership chains, and one profile per (type, name). A group profile enters only with
    // its group (CreateGroup, UpdateGroup, RotateGroupKey): rows no hosted group stands behind
    // were published by anyone under a name not yet created, and go.
    R"(ALTER TABLE groups_ ADD COLUMN chain_length INTEGER NOT NULL DEFAULT 0;
       ALTER TABLE groups_ ADD COLUMN chain_head TEXT NOT NULL DEFAULT '';
       CREATE TABLE membership(group_id TEXT NOT NULL, seq INTEGER NOT NULL, token TEXT NOT NULL,
                               PRIMARY KEY(group_id, seq)) WITHOUT ROWID;
       DELETE FROM profiles WHERE type = 'group' AND id NOT IN (SELECT id FROM groups_);
       DROP INDEX profiles_name;
       CREATE UNIQUE INDEX profiles_name ON profiles(type, name);)",
    // v4: co-administrators. An administrator's entry carries the group's secrets sealed to
    // each of its devices (JSON text, device id -> package); NULL for every other member.
    R"(ALTER TABLE member_keys ADD COLUMN admin_keys TEXT;)",
    // v5: the service as policy point (docs/SERVICE.md §4.12). A group's policy (JSON text of
    // GroupPolicy); the document and key agreement a recryption was for; recryptions waiting
    // for, or given, an administrator's review, one per member and key agreement.
    R"(ALTER TABLE groups_ ADD COLUMN policy TEXT NOT NULL DEFAULT '{}';
       ALTER TABLE audit ADD COLUMN document TEXT NOT NULL DEFAULT '';
       ALTER TABLE audit ADD COLUMN agreement TEXT NOT NULL DEFAULT '';
       CREATE INDEX audit_agreement ON audit(group_id, agreement) WHERE agreement != '';
       CREATE TABLE reviews(id INTEGER PRIMARY KEY AUTOINCREMENT, group_id TEXT NOT NULL,
                            member TEXT NOT NULL, device TEXT NOT NULL, key_id TEXT NOT NULL,
                            agreement TEXT NOT NULL, document TEXT NOT NULL,
                            requested INTEGER NOT NULL, state TEXT NOT NULL,
                            decided_by TEXT NOT NULL DEFAULT '', decided INTEGER NOT NULL DEFAULT 0,
                            UNIQUE(group_id, member, agreement));
       CREATE INDEX reviews_pending ON reviews(group_id, state, id);)",
    // v6: the ACTIVE SUPER members of a group are counted (check_record's last-SUPER rule)
    // along an index of the few SUPER rows (privilege bit 4), not by a scan of every member.
    // A key rotation in steps holds its new profile and record, and the members' entries of
    // the new key, aside until its commit (docs/SERVICE.md §5).
    R"(CREATE INDEX IF NOT EXISTS members_super ON members(group_id) WHERE privileges >= 4;
       CREATE TABLE IF NOT EXISTS rotations(group_id TEXT PRIMARY KEY, key_id TEXT NOT NULL,
                              profile TEXT NOT NULL, record TEXT NOT NULL,
                              started INTEGER NOT NULL);
       CREATE TABLE IF NOT EXISTS rotation_keys(group_id TEXT NOT NULL, member_id TEXT NOT NULL,
                                  key_id TEXT NOT NULL, recryption_key BLOB NOT NULL,
                                  wrapped_shares TEXT NOT NULL, admin_keys TEXT,
                                  PRIMARY KEY(group_id, member_id)) WITHOUT ROWID;)",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

void migrate(Connection& c) {
  c.exec("PRAGMA journal_mode = WAL");
  int version = c.user_version();
  if (version > kSchemaVersion)
    throw sqlite::StoreError("database schema version " + std::to_string(version) +
                             " is newer than this recryptd");
  for (; version < kSchemaVersion; ++version) {
    c.exec("BEGIN IMMEDIATE");
    try {
      c.exec(kMigrations[version]);
      c.exec(("PRAGMA user_version = " + std::to_string(version + 1)).c_str());
      c.exec("COMMIT");
    } catch (...) {
      c.exec("ROLLBACK");
      throw;
    }
  }
}

}  // namespace recrypt::service
