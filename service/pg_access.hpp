// The PostgreSQL Store's rows: StoreWriter (and so StoreReader) on one connection, each record
// read from and written to its tables. It runs whatever transaction the connection is in.
// A writer's access (`locking`) reads a group FOR NO KEY UPDATE, so that every change of a
// group waits for any other recryptd's change of it to commit and then reads what it left:
// membership chains stay linear across instances by row locks, not by luck.
#pragma once

#include <vector>

#include "service/pg.hpp"
#include "service/quota_ledger.hpp"
#include "service/store.hpp"

namespace recrypt::service {

class PgAccess : public StoreWriter {
 public:
  PgAccess(pg::Connection& c, bool locking) : c_(c), locking_(locking) {}

  std::optional<SignerRecord> signer(const std::string& kid) override;
  std::optional<ProfileRecord> profile_by_id(const std::string& id) override;
  std::optional<ProfileRecord> profile_by_name(const std::string& type,
                                               const std::string& name) override;
  std::optional<GroupRecord> group(const std::string& ref) override;
  std::optional<MemberRecord> member(const std::string& group_id,
                                     const std::string& member_id) override;
  std::vector<MemberRecord> members(const std::string& group_id) override;
  std::size_t active_supers(const std::string& group_id) override;
  std::optional<RotationRecord> rotation(const std::string& group_id) override;
  std::uint64_t rotation_staged(const std::string& group_id) override;
  std::optional<std::string> rotation_unstaged_member(const std::string& group_id) override;
  void put_rotation(const RotationRecord& rotation) override;
  void stage_rotation_key(const KeyRecord& key) override;
  void commit_rotation_keys(const std::string& group_id) override;
  void drop_rotation(const std::string& group_id) override;
  std::vector<MemberRecord> members_after(const std::string& group_id, const std::string& after,
                                          std::uint64_t limit) override;
  std::optional<KeyRecord> key(const std::string& group_id, const std::string& member_id,
                               const std::string& key_id) override;
  std::vector<std::string> member_key_ids(const std::string& group_id,
                                          const std::string& member_id) override;
  std::vector<std::string> membership(const std::string& group_id, std::uint64_t from,
                                      std::uint64_t limit) override;
  std::vector<AuditRecord> audit(const std::string& group_id, std::uint64_t after,
                                 std::uint64_t limit) override;
  std::vector<std::pair<std::string, std::int64_t>> answered_recryptions(
      const std::string& group_id, std::int64_t since) override;
  std::vector<AuditRecord> audit_of_agreements(const std::string& group_id,
                                               const std::vector<std::string>& agreements,
                                               std::uint64_t after, std::uint64_t limit) override;
  std::vector<std::pair<std::string, std::int64_t>> live_nonces(std::int64_t now) override;
  std::optional<Review> review(const std::string& group_id, const std::string& member_id,
                               const std::string& agreement) override;
  std::optional<Review> review_by_id(const std::string& group_id, std::uint64_t id) override;
  std::vector<Review> reviews(const std::string& group_id, const std::string& state,
                              std::uint64_t limit) override;

  void put_profile(const ProfileRecord& p, const std::vector<SignerRecord>& signers) override;
  void insert_group(const GroupRecord& g) override;
  void update_group(const GroupRecord& g) override;
  void insert_member(const MemberRecord& m) override;
  void update_member(const MemberRecord& m) override;
  void put_key(const KeyRecord& k) override;
  void clear_admin_keys(const std::string& group_id, const std::string& member_id) override;
  void put_policy(const std::string& group_id, const GroupPolicy& policy) override;
  void append_membership(const std::string& group_id, std::uint64_t seq, const std::string& token,
                         const std::string& hash) override;
  void insert_nonce(const std::string& nonce, std::int64_t expires) override;
  void append_audit(const AuditRecord& r) override;
  Review open_review(const std::string& group_id, const Review& asked) override;
  void decide_review(const std::string& group_id, std::uint64_t id, const std::string& state,
                     const std::string& decided_by, std::int64_t decided) override;
  // The nonces and audit records of `entries`, in one statement, and the audit records
  // `deferred` (of jobs run with defer_audits()). First the audit locks of every group among
  // them and the quota locks of every charged member, all in one sorted order, then the
  // generation lock (shared): so an entry is checked against the generation its transaction
  // commits under. An entry read under an older generation is not stored: its result is set to
  // StaleRead. An entry whose nonce another request (of any recryptd) stored first is
  // refused: its result is set to a ServiceError(401) and its audit record is not stored. An
  // entry over its quota is stored as refused (429) and its result set to QuotaRefused.
  // Returns the database's generation (0 when no entry asked for it).
  std::uint64_t insert_bookkeeping(const std::vector<const Bookkeeping*>& entries,
                                   const std::vector<AuditRecord>& deferred,
                                   std::vector<std::exception_ptr>& results);
  // From now on append_audit() keeps its records for insert_bookkeeping() instead of
  // inserting them: their group's audit lock is taken there, in the sorted order.
  void defer_audits() { defer_audits_ = true; }
  std::vector<AuditRecord> take_deferred_audits() { return std::move(deferred_); }
  // The generation lock is taken last in every transaction, after the row and advisory locks,
  // so that no two transactions wait for each other in a cycle. Bookkeeping takes it shared and
  // reads the database's generation (read_generation()); a change takes it exclusive and
  // raises the generation by one, notifying every listening recryptd at its commit
  // (raise_generation(), returning the new value). A change thus commits either before a
  // bookkeeping statement reads the generation or after that bookkeeping committed.
  std::uint64_t read_generation();
  std::uint64_t raise_generation();
  // The nonces past their expiry, if no other recryptd prunes them right now.
  void prune_nonces(std::int64_t now);

  void nested(const std::function<void()>& work) override;

 private:
  // A member key's columns in the order member_keys and rotation_keys take them:
  // group_id, member_id, key_id, recryption_key, wrapped_shares, admin_keys ($6, empty for none).
  static pg::Params key_params(const KeyRecord& k);
  // For each entry with a QuotaCharge, whether its quota admits it, counted against the audit
  // and the entries before it (under the lock of its (group, member), taken by the caller).
  std::vector<std::optional<QuotaLedger::Admission>> judge_quotas(
      const std::vector<const Bookkeeping*>& entries);
  void insert_audits(const std::vector<AuditRecord>& records);
  // The audit locks of `groups` and quota locks of `members`, in the order of their keys.
  void lock_sorted(const std::vector<std::string>& names);

  pg::Connection& c_;
  bool locking_;
  int depth_ = 0;  // savepoints open, for their names
  bool defer_audits_ = false;
  std::vector<AuditRecord> deferred_;
};

}  // namespace recrypt::service
