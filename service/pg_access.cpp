// The PostgreSQL Store's row mapping: each record to and from the columns of its table.
#include "service/pg_access.hpp"

#include <algorithm>
#include <deque>
#include <map>

#include "protocol/service/service_error.hpp"
#include "service/row_encoding.hpp"

namespace recrypt::service {
namespace {

using pg::Params;
using pg::Result;

std::int64_t as_int(std::uint64_t v) { return static_cast<std::int64_t>(v); }

std::vector<AuditRecord> audit_rows(const Result& r, const std::string& group_id) {
  std::vector<AuditRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({static_cast<std::uint64_t>(r.integer(i, 0)), r.integer(i, 1), r.text(i, 2),
                   group_id, r.text(i, 3), r.text(i, 4), r.text(i, 5),
                   static_cast<int>(r.integer(i, 6)), r.text(i, 7), r.text(i, 8), r.text(i, 9)});
  return out;
}

GroupRecord group_of(const Result& r) {
  return GroupRecord{r.text(0, 0),
                     r.text(0, 1),
                     r.text(0, 2),
                     r.text(0, 3),
                     split_ids(r.text(0, 4)),
                     static_cast<std::uint64_t>(r.integer(0, 5)),
                     r.text(0, 6),
                     GroupPolicy::from_json(Json::parse(r.text(0, 7)))};
}

// An audit record as one element of the JSON array that json_to_recordset spreads into rows;
// `ord` keeps the records' order through the statement.
Json audit_json(const AuditRecord& a, std::size_t ord) {
  return {{"ord", ord},
          {"time", a.time},
          {"txn", a.transaction},
          {"group_id", a.group},
          {"member", a.member},
          {"device", a.device},
          {"key_id", a.key_id},
          {"status", a.status},
          {"description", a.description},
          {"document", a.document},
          {"agreement", a.agreement}};
}

}  // namespace

std::optional<SignerRecord> PgAccess::signer(const std::string& kid) {
  // A change's signer is read FOR SHARE: the key cannot be removed (PublishProfile replaces a
  // profile's signers) before the change commits.
  Result r = locking_
                 ? c_.run(
                       "SELECT kid, profile_id, jwk, encryption_id FROM signers WHERE kid = $1 FOR "
                       "SHARE",
                       Params().text(kid))
                 : c_.run("SELECT kid, profile_id, jwk, encryption_id FROM signers WHERE kid = $1",
                          Params().text(kid));
  if (r.rows() == 0) return std::nullopt;
  return SignerRecord{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3)};
}

std::optional<ProfileRecord> PgAccess::profile_by_id(const std::string& id) {
  Result r = c_.run("SELECT id, type, name, token FROM profiles WHERE id = $1", Params().text(id));
  if (r.rows() == 0) return std::nullopt;
  return ProfileRecord{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3)};
}

std::optional<ProfileRecord> PgAccess::profile_by_name(const std::string& type,
                                                       const std::string& name) {
  Result r = c_.run("SELECT id, type, name, token FROM profiles WHERE type = $1 AND name = $2",
                    Params().text(type).text(name));
  if (r.rows() == 0) return std::nullopt;
  return ProfileRecord{r.text(0, 0), r.text(0, 1), r.text(0, 2), r.text(0, 3)};
}

std::optional<GroupRecord> PgAccess::group(const std::string& ref) {
  // An id wins over a name that happens to read like one.
  Params p;
  p.text(ref);
  Result r = locking_ ? c_.run(
                            "SELECT id, name, token, key_id, key_ids, chain_length, chain_head, "
                            "policy FROM groups_ WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC "
                            "LIMIT 1 FOR NO KEY UPDATE",
                            p)
                      : c_.run(
                            "SELECT id, name, token, key_id, key_ids, chain_length, chain_head, "
                            "policy FROM groups_ WHERE id = $1 OR name = $1 ORDER BY id = $1 DESC "
                            "LIMIT 1",
                            p);
  if (r.rows() == 0) return std::nullopt;
  return group_of(r);
}

std::optional<MemberRecord> PgAccess::member(const std::string& group_id,
                                             const std::string& member_id) {
  Result r = c_.run(
      "SELECT account, privileges, status FROM members WHERE group_id = $1 AND member_id = $2",
      Params().text(group_id).text(member_id));
  if (r.rows() == 0) return std::nullopt;
  return MemberRecord{group_id, member_id, r.text(0, 0), privileges_of(r.integer(0, 1)),
                      parse_status(r.text(0, 2))};
}

std::vector<MemberRecord> PgAccess::members(const std::string& group_id) {
  Result r = c_.run(
      "SELECT member_id, account, privileges, status FROM members WHERE group_id = $1 "
      "ORDER BY member_id",
      Params().text(group_id));
  std::vector<MemberRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({group_id, r.text(i, 0), r.text(i, 1), privileges_of(r.integer(i, 2)),
                   parse_status(r.text(i, 3))});
  return out;
}

std::size_t PgAccess::active_supers(const std::string& group_id) {
  Result r = c_.run(
      "SELECT count(*) FROM members WHERE group_id = $1 AND privileges >= 4 AND "
      "status = 'ACTIVE'",
      Params().text(group_id));
  return static_cast<std::size_t>(r.integer(0, 0));
}

std::vector<MemberRecord> PgAccess::members_after(const std::string& group_id,
                                                  const std::string& after, std::uint64_t limit) {
  Result r = c_.run(
      "SELECT member_id, account, privileges, status FROM members WHERE group_id = $1 AND "
      "member_id > $2 ORDER BY member_id LIMIT $3",
      Params().text(group_id).text(after).integer(as_int(limit)));
  std::vector<MemberRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({group_id, r.text(i, 0), r.text(i, 1), privileges_of(r.integer(i, 2)),
                   parse_status(r.text(i, 3))});
  return out;
}

std::optional<KeyRecord> PgAccess::key(const std::string& group_id, const std::string& member_id,
                                       const std::string& key_id) {
  Result r = c_.run(
      "SELECT recryption_key, wrapped_shares, coalesce(admin_keys, '') FROM member_keys "
      "WHERE group_id = $1 AND member_id = $2 AND key_id = $3",
      Params().text(group_id).text(member_id).text(key_id));
  if (r.rows() == 0) return std::nullopt;
  return KeyRecord{group_id, member_id, key_id, r.bytes(0, 0), r.text(0, 1), r.text(0, 2)};
}

std::vector<std::string> PgAccess::member_key_ids(const std::string& group_id,
                                                  const std::string& member_id) {
  Result r = c_.run("SELECT key_id FROM member_keys WHERE group_id = $1 AND member_id = $2",
                    Params().text(group_id).text(member_id));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

std::vector<std::string> PgAccess::membership(const std::string& group_id, std::uint64_t from,
                                              std::uint64_t limit) {
  Result r =
      c_.run("SELECT token FROM membership WHERE group_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3",
             Params().text(group_id).integer(as_int(from)).integer(as_int(limit)));
  std::vector<std::string> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(r.text(i, 0));
  return out;
}

std::vector<AuditRecord> PgAccess::audit(const std::string& group_id, std::uint64_t after,
                                         std::uint64_t limit) {
  Result r = c_.run(
      "SELECT seq, time, txn, member, device, key_id, status, description, document, "
      "agreement FROM audit WHERE group_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      Params().text(group_id).integer(as_int(after)).integer(as_int(limit)));
  return audit_rows(r, group_id);
}

std::vector<AuditRecord> PgAccess::audit_of_agreements(const std::string& group_id,
                                                       const std::vector<std::string>& agreements,
                                                       std::uint64_t after, std::uint64_t limit) {
  // The ids go in as one JSON array parameter, so that the SQL text stays a literal whatever
  // their number.
  Result r = c_.run(
      "SELECT seq, time, txn, member, device, key_id, status, description, document, "
      "agreement FROM audit WHERE group_id = $1 AND agreement <> '' AND agreement IN "
      "(SELECT json_array_elements_text($2::json)) AND seq > $3 ORDER BY seq LIMIT $4",
      Params()
          .text(group_id)
          .text(Json(agreements).dump())
          .integer(as_int(after))
          .integer(as_int(limit)));
  return audit_rows(r, group_id);
}

std::vector<std::pair<std::string, std::int64_t>> PgAccess::answered_recryptions(
    const std::string& group_id, std::int64_t since) {
  Result r = c_.run(
      "SELECT member, time FROM audit WHERE group_id = $1 AND txn = 'RecryptData' AND "
      "status = 201 AND time >= $2",
      Params().text(group_id).integer(since));
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0), r.integer(i, 1));
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> PgAccess::live_nonces(std::int64_t now) {
  Result r = c_.run("SELECT nonce, expires FROM nonces WHERE expires >= $1 ORDER BY expires",
                    Params().integer(now));
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (int i = 0; i < r.rows(); ++i) out.emplace_back(r.text(i, 0), r.integer(i, 1));
  return out;
}

void PgAccess::put_profile(const ProfileRecord& p, const std::vector<SignerRecord>& signers) {
  c_.run(
      "INSERT INTO profiles(id, type, name, token) VALUES($1, $2, $3, $4) ON CONFLICT(id) DO "
      "UPDATE SET type = excluded.type, name = excluded.name, token = excluded.token",
      Params().text(p.id).text(p.type).text(p.name).text(p.token));
  c_.run("DELETE FROM signers WHERE profile_id = $1", Params().text(p.id));
  for (const SignerRecord& s : signers)
    c_.run("INSERT INTO signers(kid, profile_id, jwk, encryption_id) VALUES($1, $2, $3, $4)",
           Params().text(s.kid).text(s.profile_id).text(s.jwk).text(s.encryption_id));
}

void PgAccess::insert_group(const GroupRecord& g) {
  c_.run("INSERT INTO groups_(id, name, token, key_id, key_ids) VALUES($1, $2, $3, $4, $5)",
         Params().text(g.id).text(g.name).text(g.token).text(g.key_id).text(join_ids(g.key_ids)));
}

void PgAccess::update_group(const GroupRecord& g) {
  c_.run("UPDATE groups_ SET name = $1, token = $2, key_id = $3, key_ids = $4 WHERE id = $5",
         Params().text(g.name).text(g.token).text(g.key_id).text(join_ids(g.key_ids)).text(g.id));
}

void PgAccess::insert_member(const MemberRecord& m) {
  c_.run(
      "INSERT INTO members(group_id, member_id, account, privileges, status) "
      "VALUES($1, $2, $3, $4, $5)",
      Params()
          .text(m.group_id)
          .text(m.member_id)
          .text(m.account)
          .integer(privilege_bits(m.privileges))
          .text(to_string(m.status)));
}

void PgAccess::update_member(const MemberRecord& m) {
  c_.run(
      "UPDATE members SET account = $1, privileges = $2, status = $3 WHERE group_id = $4 AND "
      "member_id = $5",
      Params()
          .text(m.account)
          .integer(privilege_bits(m.privileges))
          .text(to_string(m.status))
          .text(m.group_id)
          .text(m.member_id));
}

Params PgAccess::key_params(const KeyRecord& k) {
  Params p;
  p.text(k.group_id)
      .text(k.member_id)
      .text(k.key_id)
      .bytes(k.sealed_recryption_key)
      .text(k.wrapped_shares)
      .text(k.admin_keys);
  return p;
}

void PgAccess::put_key(const KeyRecord& k) {
  c_.run(
      "INSERT INTO member_keys(group_id, member_id, key_id, recryption_key, wrapped_shares, "
      "admin_keys) VALUES($1, $2, $3, $4, $5, NULLIF($6, '')) ON CONFLICT(group_id, member_id, "
      "key_id) DO UPDATE SET recryption_key = excluded.recryption_key, wrapped_shares = "
      "excluded.wrapped_shares, admin_keys = excluded.admin_keys",
      key_params(k));
}

void PgAccess::clear_admin_keys(const std::string& group_id, const std::string& member_id) {
  c_.run(
      "UPDATE member_keys SET admin_keys = NULL WHERE group_id = $1 AND member_id = $2 AND "
      "admin_keys IS NOT NULL",
      Params().text(group_id).text(member_id));
}

void PgAccess::put_policy(const std::string& group_id, const GroupPolicy& policy) {
  c_.run("UPDATE groups_ SET policy = $1 WHERE id = $2",
         Params().text(policy.to_json().dump()).text(group_id));
}

void PgAccess::append_membership(const std::string& group_id, std::uint64_t seq,
                                 const std::string& token, const std::string& hash) {
  c_.run("INSERT INTO membership(group_id, seq, token) VALUES($1, $2, $3)",
         Params().text(group_id).integer(as_int(seq)).text(token));
  // Only on the head the record was checked against: a backstop behind the group's row lock.
  Result r = c_.run(
      "UPDATE groups_ SET chain_length = $2 + 1, chain_head = $3 WHERE id = $1 AND "
      "chain_length = $2",
      Params().text(group_id).integer(as_int(seq)).text(hash));
  if (r.affected() != 1) refuse(status::kConflict, "the membership chain moved on");
}

void PgAccess::insert_nonce(const std::string& nonce, std::int64_t expires) {
  // A replay carries the same signed iat, so the same expires: (expires, nonce) finds it.
  Result r = c_.run("INSERT INTO nonces(nonce, expires) VALUES($1, $2) ON CONFLICT DO NOTHING",
                    Params().text(nonce).integer(expires));
  if (r.affected() != 1) refuse(status::kUnauthorized, std::string(kReplayDescription));
}

// Advisory lock names: hashed to the lock's 64-bit key by the server (hashtextextended).
std::string audit_lock(const std::string& group_id) { return "audit:" + group_id; }

void PgAccess::lock_sorted(const std::vector<std::string>& names) {
  if (names.empty()) return;
  // Taken in the order of the keys, the same in every recryptd: no cycle among bookkeeping
  // transactions. The subquery's rows arrive sorted and each is locked as it arrives.
  c_.run(
      "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(t, 0) AS k FROM "
      "json_array_elements_text($1::json) AS t ORDER BY k) AS s",
      Params().text(Json(names).dump()));
}

std::uint64_t PgAccess::read_generation() {
  c_.run("SELECT pg_advisory_xact_lock_shared(hashtextextended('recrypt:generation', 0))");
  // A statement of its own: its snapshot is taken after the lock, so it sees every change
  // that committed before.
  Result r = c_.run("SELECT value FROM generation WHERE id = 1");
  return static_cast<std::uint64_t>(r.integer(0, 0));
}

std::uint64_t PgAccess::raise_generation() {
  c_.run("SELECT pg_advisory_xact_lock(hashtextextended('recrypt:generation', 0))");
  Result r = c_.run("UPDATE generation SET value = value + 1 WHERE id = 1 RETURNING value");
  auto generation = static_cast<std::uint64_t>(r.integer(0, 0));
  // Delivered to every listening recryptd when (and only if) this commits.
  c_.run("SELECT pg_notify('recrypt_generation', $1)",
         Params().integer(static_cast<std::int64_t>(generation)));
  return generation;
}

void PgAccess::prune_nonces(std::int64_t now) {
  // One recryptd at a time: the others skip, they would only wait to delete nothing.
  Result r =
      c_.run("SELECT pg_try_advisory_xact_lock(hashtextextended('recrypt:prune-nonces', 0))");
  if (r.text(0, 0) != "t") return;
  c_.run("DELETE FROM nonces WHERE expires < $1", Params().integer(now));
}

void PgAccess::append_audit(const AuditRecord& r) {
  if (defer_audits_) {
    deferred_.push_back(r);
    return;
  }
  // Held to the commit: the group's next record (of any recryptd) gets its seq after this one
  // committed, so the group's seq order is its commit order (ReadAudit's paging relies on it).
  if (!r.group.empty())
    c_.run("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
           Params().text(audit_lock(r.group)));
  c_.run(
      "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description, "
      "document, agreement) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      Params()
          .integer(r.time)
          .text(r.transaction)
          .text(r.group)
          .text(r.member)
          .text(r.device)
          .text(r.key_id)
          .integer(r.status)
          .text(r.description)
          .text(r.document)
          .text(r.agreement));
}

std::vector<std::optional<QuotaLedger::Admission>> PgAccess::judge_quotas(
    const std::vector<const Bookkeeping*>& entries) {
  std::vector<std::optional<QuotaLedger::Admission>> out(entries.size());
  // (group, member) -> its answered recryptions of the last day, oldest first.
  std::map<std::pair<std::string, std::string>, std::deque<std::int64_t>> times;
  for (const Bookkeeping* b : entries)
    if (b->charge) times[{b->charge->group_id, b->charge->member_id}];
  if (times.empty()) return out;
  std::int64_t newest = 0;
  for (const Bookkeeping* b : entries) newest = std::max(newest, b->audit.time);
  // The member's quota lock is held (lock_sorted): whoever counts it next waits for this
  // count's records to be committed, and sees them.
  for (auto& [key, answered] : times) {
    Result r = c_.run(
        "SELECT time FROM audit WHERE group_id = $1 AND member = $2 AND txn = 'RecryptData' "
        "AND status = 201 AND time > $3 ORDER BY time",
        Params().text(key.first).text(key.second).integer(newest - QuotaLedger::kDay));
    for (int i = 0; i < r.rows(); ++i) answered.push_back(r.integer(i, 0));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Bookkeeping& b = *entries[i];
    if (!b.charge) continue;
    std::deque<std::int64_t>& answered = times[{b.charge->group_id, b.charge->member_id}];
    out[i] = QuotaLedger::judge(answered, b.charge->quota, b.charge->own, b.audit.time);
    if (out[i]->admitted)
      answered.insert(std::upper_bound(answered.begin(), answered.end(), b.audit.time),
                      b.audit.time);
  }
  return out;
}

std::uint64_t PgAccess::insert_bookkeeping(const std::vector<const Bookkeeping*>& entries,
                                           const std::vector<AuditRecord>& deferred,
                                           std::vector<std::exception_ptr>& results) {
  std::vector<std::string> locks;
  bool checked = false;
  for (const Bookkeeping* b : entries) {
    if (!b->audit.group.empty()) locks.push_back(audit_lock(b->audit.group));
    if (b->charge) locks.push_back("quota:" + b->charge->group_id + "|" + b->charge->member_id);
    checked = checked || b->read_generation != 0;
  }
  for (const AuditRecord& a : deferred)
    if (!a.group.empty()) locks.push_back(audit_lock(a.group));
  lock_sorted(locks);
  std::uint64_t generation = checked ? read_generation() : 0;
  // Entries decided on what a change committed since may have made wrong: none of them stored.
  std::vector<const Bookkeeping*> fresh;
  std::vector<std::size_t> index;  // fresh[k] is entries[index[k]]
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::uint64_t read = entries[i]->read_generation;
    if (read != 0 && read < generation) {
      results[i] = std::make_exception_ptr(StaleRead(generation));
      continue;
    }
    fresh.push_back(entries[i]);
    index.push_back(i);
  }
  // Recryptions over their quota are stored as refused (429), and answered so.
  std::vector<std::optional<QuotaLedger::Admission>> quota = judge_quotas(fresh);
  // All entries go in as one JSON array: one statement, one round trip, whatever their number.
  // The audit records follow the entries' order; only entries whose nonce was new are stored.
  Json rows = Json::array();
  for (std::size_t k = 0; k < fresh.size(); ++k) {
    const Bookkeeping& b = *fresh[k];
    Json row = audit_json(b.audit, k);
    row["nonce"] = b.nonce;
    row["expires"] = b.nonce_expires;
    if (quota[k] && !quota[k]->admitted) {
      row["status"] = status::kTooManyRequests;
      row["description"] = quota[k]->reason;
    }
    rows.push_back(std::move(row));
  }
  std::vector<bool> stored(fresh.size(), false);
  if (!fresh.empty()) {
    Result r = c_.run(
        "WITH e AS (SELECT * FROM json_to_recordset($1::json) AS x(ord integer, nonce text, "
        "expires bigint, time bigint, txn text, group_id text, member text, device text, "
        "key_id text, status integer, description text, document text, agreement text)), "
        "n AS (INSERT INTO nonces(nonce, expires) SELECT nonce, expires FROM e "
        "ON CONFLICT DO NOTHING RETURNING nonce, expires), "
        "k AS (SELECT e.* FROM e JOIN n USING (nonce, expires)), "
        "a AS (INSERT INTO audit(time, txn, group_id, member, device, key_id, status, "
        "description, document, agreement) SELECT time, txn, group_id, member, device, key_id, "
        "status, description, document, agreement FROM k ORDER BY ord) "
        "SELECT ord FROM k",
        Params().text(rows.dump()));
    for (int i = 0; i < r.rows(); ++i) stored.at(static_cast<std::size_t>(r.integer(i, 0))) = true;
  }
  for (std::size_t k = 0; k < fresh.size(); ++k) {
    std::size_t i = index[k];
    if (!stored[k]) {
      results[i] = std::make_exception_ptr(
          ServiceError(status::kUnauthorized, std::string(kReplayDescription)));
    } else if (quota[k] && !quota[k]->admitted) {
      results[i] = std::make_exception_ptr(QuotaRefused(quota[k]->reason, quota[k]->retry_after));
    }
  }
  insert_audits(deferred);
  return generation;
}

void PgAccess::insert_audits(const std::vector<AuditRecord>& records) {
  if (records.empty()) return;
  Json rows = Json::array();
  for (std::size_t i = 0; i < records.size(); ++i) rows.push_back(audit_json(records[i], i));
  c_.run(
      "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description, "
      "document, agreement) SELECT time, txn, group_id, member, device, key_id, status, "
      "description, document, agreement FROM json_to_recordset($1::json) AS x(ord integer, "
      "time bigint, txn text, group_id text, member text, device text, key_id text, "
      "status integer, description text, document text, agreement text) ORDER BY ord",
      Params().text(rows.dump()));
}

void PgAccess::nested(const std::function<void()>& work) {
  // Savepoint names by depth: a nested() inside a nested() has its own.
  std::string name = "nested" + std::to_string(depth_++);
  std::size_t deferred = deferred_.size();  // the audit records kept before `work`
  c_.exec(("SAVEPOINT " + name).c_str());
  try {
    work();
  } catch (...) {
    --depth_;
    deferred_.erase(deferred_.begin() + static_cast<std::ptrdiff_t>(deferred), deferred_.end());
    if (c_.ok()) c_.exec(("ROLLBACK TO SAVEPOINT " + name).c_str());
    throw;
  }
  --depth_;
  c_.exec(("RELEASE SAVEPOINT " + name).c_str());
}

}  // namespace recrypt::service
