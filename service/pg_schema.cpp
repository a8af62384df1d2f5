// recryptd's PostgreSQL schema: the migrations from an empty database to the current version.
// Version 1 is SQLite's version 5 in PostgreSQL's types, plus what several recryptd on one
// database need: the store's generation (table generation), the service key's check value
// (table service_key), and an index by time of the answered recryptions that quotas count.
#include "service/pg_schema.hpp"

#include <iterator>
#include <string>

namespace recrypt::service {
namespace {

constexpr int kSchemaVersion = 2;
// pg_advisory_xact_lock key of migrations ('recrypt' in ASCII).
constexpr const char* kLock = "SELECT pg_advisory_xact_lock(29103487730184308)";

constexpr const char* kMigrations[] = {
    R"(CREATE TABLE profiles(id text PRIMARY KEY, type text NOT NULL, name text NOT NULL,
                            token text NOT NULL);
       CREATE UNIQUE INDEX profiles_name ON profiles(type, name);
       CREATE TABLE signers(kid text PRIMARY KEY, profile_id text NOT NULL, jwk text NOT NULL,
                            encryption_id text NOT NULL);
       CREATE INDEX signers_profile ON signers(profile_id);
       CREATE TABLE groups_(id text PRIMARY KEY, name text NOT NULL UNIQUE, token text NOT NULL,
                            key_id text NOT NULL, key_ids text NOT NULL,
                            chain_length bigint NOT NULL DEFAULT 0,
                            chain_head text NOT NULL DEFAULT '',
                            policy text NOT NULL DEFAULT '{}');
       CREATE TABLE members(group_id text NOT NULL, member_id text NOT NULL, account text NOT NULL,
                            privileges integer NOT NULL, status text NOT NULL,
                            PRIMARY KEY(group_id, member_id));
       CREATE TABLE member_keys(group_id text NOT NULL, member_id text NOT NULL,
                                key_id text NOT NULL, recryption_key bytea NOT NULL,
                                wrapped_shares text NOT NULL, admin_keys text,
                                PRIMARY KEY(group_id, member_id, key_id));
       CREATE TABLE membership(group_id text NOT NULL, seq bigint NOT NULL, token text NOT NULL,
                               PRIMARY KEY(group_id, seq));
       CREATE TABLE nonces(expires bigint NOT NULL, nonce text NOT NULL,
                           PRIMARY KEY(expires, nonce));
       CREATE TABLE audit(seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                          time bigint NOT NULL, txn text NOT NULL, group_id text NOT NULL,
                          member text NOT NULL, device text NOT NULL, key_id text NOT NULL,
                          status integer NOT NULL, description text NOT NULL,
                          document text NOT NULL DEFAULT '', agreement text NOT NULL DEFAULT '');
       CREATE INDEX audit_group ON audit(group_id, seq);
       CREATE INDEX audit_agreement ON audit(group_id, agreement, seq) WHERE agreement <> '';
       CREATE INDEX audit_answered ON audit(group_id, time)
           WHERE txn = 'RecryptData' AND status = 201;
       CREATE TABLE reviews(id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                            group_id text NOT NULL, member text NOT NULL, device text NOT NULL,
                            key_id text NOT NULL, agreement text NOT NULL, document text NOT NULL,
                            requested bigint NOT NULL, state text NOT NULL,
                            decided_by text NOT NULL DEFAULT '', decided bigint NOT NULL DEFAULT 0,
                            UNIQUE(group_id, member, agreement));
       CREATE INDEX reviews_pending ON reviews(group_id, state, id);
       CREATE TABLE generation(id integer PRIMARY KEY CHECK (id = 1), value bigint NOT NULL);
       INSERT INTO generation VALUES(1, 0);
       CREATE TABLE service_key(id integer PRIMARY KEY CHECK (id = 1), check_value bytea NOT NULL);)",
    // v2: the ACTIVE SUPER members of a group are counted (check_record's last-SUPER rule)
    // along an index of the few SUPER rows, not by a scan of every member.
    // A key rotation in steps holds its new profile and record, and the members' entries of
    // the new key, aside until its commit (docs/SERVICE.md §5).
    R"(CREATE INDEX members_super ON members(group_id) WHERE privileges >= 4;
       CREATE TABLE rotations(group_id text PRIMARY KEY, key_id text NOT NULL,
                              profile text NOT NULL, record text NOT NULL,
                              started bigint NOT NULL);
       CREATE TABLE rotation_keys(group_id text NOT NULL, member_id text NOT NULL,
                                  key_id text NOT NULL, recryption_key bytea NOT NULL,
                                  wrapped_shares text NOT NULL, admin_keys text,
                                  PRIMARY KEY(group_id, member_id));)",
};
static_assert(std::size(kMigrations) == kSchemaVersion);

int version_of(pg::Connection& c) {
  pg::Result r = c.run("SELECT max(version) FROM schema_version");
  return r.is_null(0, 0) ? 0 : static_cast<int>(r.integer(0, 0));
}

}  // namespace

void migrate(pg::Connection& c) {
  for (;;) {
    c.exec("BEGIN");
    try {
      c.exec(kLock);
      c.exec("CREATE TABLE IF NOT EXISTS schema_version(version integer NOT NULL)");
      int version = version_of(c);
      if (version > kSchemaVersion)
        throw pg::StoreError("database schema version " + std::to_string(version) +
                             " is newer than this recryptd");
      if (version == kSchemaVersion) {
        c.exec("COMMIT");
        return;
      }
      c.exec(kMigrations[version]);
      c.exec(("INSERT INTO schema_version VALUES(" + std::to_string(version + 1) + ")").c_str());
      c.exec("COMMIT");
    } catch (...) {
      if (c.ok()) PQclear(PQexec(c.get(), "ROLLBACK"));
      throw;
    }
  }
}

}  // namespace recrypt::service
