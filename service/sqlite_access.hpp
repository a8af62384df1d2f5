// The SQLite Store's rows: StoreWriter (and so StoreReader) on one connection, each record
// read from and written to its tables. It runs whatever transaction the connection is in.
#pragma once

#include <vector>

#include "service/sqlite.hpp"
#include "service/store.hpp"

namespace recrypt::service {

class SqliteAccess : public StoreWriter {
 public:
  explicit SqliteAccess(sqlite::Connection& c) : c_(c) {}

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
  // The nonces and audit records of `entries`, a few multi-row INSERTs for all of them.
  void insert_bookkeeping(const std::vector<const Bookkeeping*>& entries);

  void nested(const std::function<void()>& work) override;

 private:
  // A member's key row, in member_keys or, while a rotation is staged, rotation_keys: the two
  // tables have one shape, so that the commit moves rows without converting them.
  void write_key_row(sqlite::Sql insert, const KeyRecord& k);
  sqlite::Connection& c_;
};

}  // namespace recrypt::service
