// Where recryptd keeps its state, behind an interface so that a shared PostgreSQL can replace
// the embedded SQLite when several stateless recryptd run behind a load balancer.
//
// Reads run on the caller's thread against a consistent snapshot. Writes are handed to the
// store, which may batch the writes of concurrent requests into one durable commit (group
// commit); `done` runs after that commit, so an answer is only ever sent for durable state.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "protocol/service/group_policy.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {

class KeyVault;

// A key that may sign requests: a profile's own signing key (encryption_id empty) or one of
// its devices' signing keys (with that device's encryption key id).
struct SignerRecord {
  std::string kid;
  std::string profile_id;
  std::string jwk;  // public JWK text
  std::string encryption_id;
};

struct ProfileRecord {
  std::string id;
  std::string type;  // "personal" or "group"
  std::string name;  // account or group name
  std::string token;
};

struct GroupRecord {
  std::string id;
  std::string name;
  std::string token;                 // the current signed group profile
  std::string key_id;                // current A
  std::vector<std::string> key_ids;  // every key of the group, current first
  // The membership chain's head: how many records it has and the hash of the last.
  std::uint64_t chain_length = 0;
  std::string chain_head = {};
  // Read with the group; written only by put_policy (update_group leaves it as it is).
  GroupPolicy policy = {};
};

struct MemberRecord {
  std::string group_id;
  std::string member_id;
  std::string account;
  Privileges privileges;
  MemberStatus status = MemberStatus::active;
};

struct KeyRecord {
  std::string group_id;
  std::string member_id;
  std::string key_id;
  Bytes sealed_recryption_key;  // r, sealed by the KeyVault
  std::string wrapped_shares;   // JSON object text: device id -> JWE
  // JSON object text: device id -> admin package (MemberEntry::admin_keys); empty for none.
  std::string admin_keys = {};
};

// A key rotation in steps (BeginRotation .. CommitRotation, docs/SERVICE.md §5): the new
// group profile and the signed rotate record, held aside with the members' staged entries of
// the new key until the commit applies them all at once. One per group at most.
struct RotationRecord {
  std::string group_id;
  std::string key_id;   // the new key
  std::string profile;  // the new signed group profile
  std::string record;   // the signed rotate record (JWS compact)
  std::int64_t started = 0;
};

class StoreReader {
 public:
  virtual ~StoreReader() = default;
  virtual std::optional<SignerRecord> signer(const std::string& kid) = 0;
  virtual std::optional<ProfileRecord> profile_by_id(const std::string& id) = 0;
  virtual std::optional<ProfileRecord> profile_by_name(const std::string& type,
                                                       const std::string& name) = 0;
  // By id or by name.
  virtual std::optional<GroupRecord> group(const std::string& ref) = 0;
  virtual std::optional<MemberRecord> member(const std::string& group_id,
                                             const std::string& member_id) = 0;
  virtual std::vector<MemberRecord> members(const std::string& group_id) = 0;
  // How many of them are ACTIVE and SUPER, counted along an index of the SUPER rows.
  virtual std::size_t active_supers(const std::string& group_id) = 0;
  // One page of them, in member id order: those whose id sorts after `after`, at most
  // `limit`, read along the members table's key (GetGroup's pages).
  virtual std::vector<MemberRecord> members_after(const std::string& group_id,
                                                  const std::string& after,
                                                  std::uint64_t limit) = 0;
  virtual std::optional<KeyRecord> key(const std::string& group_id, const std::string& member_id,
                                       const std::string& key_id) = 0;
  virtual std::vector<std::string> member_key_ids(const std::string& group_id,
                                                  const std::string& member_id) = 0;
  // The group's membership records (JWS compact) from seq `from`, at most `limit`.
  virtual std::vector<std::string> membership(const std::string& group_id, std::uint64_t from,
                                              std::uint64_t limit) = 0;
  virtual std::vector<AuditRecord> audit(const std::string& group_id, std::uint64_t after,
                                         std::uint64_t limit) = 0;
  // Who of the group was answered a RecryptData (201) when, from `since` on: what its quotas
  // counted before a restart.
  virtual std::vector<std::pair<std::string, std::int64_t>> answered_recryptions(
      const std::string& group_id, std::int64_t since) = 0;
  // The same, only the records of these key agreements (RecryptData's), through the index
  // audit_agreement: one lookup per id, never a scan of the group's log.
  virtual std::vector<AuditRecord> audit_of_agreements(const std::string& group_id,
                                                       const std::vector<std::string>& agreements,
                                                       std::uint64_t after,
                                                       std::uint64_t limit) = 0;
  // Nonces still inside their window, soonest to expire first, to refill the replay cache
  // after a restart (which forgets them in the order it was given them).
  virtual std::vector<std::pair<std::string, std::int64_t>> live_nonces(std::int64_t now) = 0;
  // Reviews (docs/SERVICE.md §5b): the member's for one key agreement, one by its id, and the
  // group's, oldest first (all of them for an empty `state`), at most `limit`. Review::account
  // is left empty.
  virtual std::optional<Review> review(const std::string& group_id, const std::string& member_id,
                                       const std::string& agreement) = 0;
  // The group's rotation under way, how many entries it has staged, and one member not revoked
  // that has none yet (nullopt when every such member has its entry).
  virtual std::optional<RotationRecord> rotation(const std::string& group_id) = 0;
  virtual std::uint64_t rotation_staged(const std::string& group_id) = 0;
  virtual std::optional<std::string> rotation_unstaged_member(const std::string& group_id) = 0;
  virtual std::optional<Review> review_by_id(const std::string& group_id, std::uint64_t id) = 0;
  virtual std::vector<Review> reviews(const std::string& group_id, const std::string& state,
                                      std::uint64_t limit) = 0;
};

class StoreWriter : public StoreReader {
 public:
  // Inserts or replaces the profile and replaces every signer row of it.
  virtual void put_profile(const ProfileRecord& profile,
                           const std::vector<SignerRecord>& signers) = 0;
  virtual void insert_group(const GroupRecord& group) = 0;
  virtual void update_group(const GroupRecord& group) = 0;
  virtual void insert_member(const MemberRecord& member) = 0;
  virtual void update_member(const MemberRecord& member) = 0;
  virtual void put_key(const KeyRecord& key) = 0;
  // Drops the admin packages of every entry of the member (it lost ADMIN and SUPER, or was
  // revoked); its shares stay.
  virtual void clear_admin_keys(const std::string& group_id, const std::string& member_id) = 0;
  virtual void put_policy(const std::string& group_id, const GroupPolicy& policy) = 0;
  // Stores record `seq` of the group's chain and makes it the head (chain_length = seq + 1).
  virtual void append_membership(const std::string& group_id, std::uint64_t seq,
                                 const std::string& token, const std::string& hash) = 0;
  virtual void insert_nonce(const std::string& nonce, std::int64_t expires) = 0;
  virtual void append_audit(const AuditRecord& record) = 0;
  // Stores `asked` as pending unless the member already has a review of that key agreement;
  // returns the one stored, with its id.
  virtual Review open_review(const std::string& group_id, const Review& asked) = 0;
  virtual void decide_review(const std::string& group_id, std::uint64_t id,
                             const std::string& state, const std::string& decided_by,
                             std::int64_t decided) = 0;
  // Starts the group's rotation, replacing one under way (whose staged entries go with it).
  virtual void put_rotation(const RotationRecord& rotation) = 0;
  // Stages (or replaces) a member's entry of the rotation's new key, out of every reader's view.
  virtual void stage_rotation_key(const KeyRecord& key) = 0;
  // Moves the staged entries into the members' keys and ends the rotation.
  virtual void commit_rotation_keys(const std::string& group_id) = 0;
  // Ends the rotation under way, if any, and drops its staged entries.
  virtual void drop_rotation(const std::string& group_id) = 0;
  // Runs `work` so that if it throws, its changes alone are undone (the exception goes on).
  virtual void nested(const std::function<void()>& work) = 0;
};

// A recryption that a shared store counts against a quota itself (Store::shared()): in the
// transaction that stores its audit record, against the answered recryptions every recryptd
// stored, so that several instances cannot pass a quota together.
struct QuotaCharge {
  std::string group_id;
  std::string member_id;
  Quota quota;
  bool own = false;  // the member's own quota, not the group's default (for the wording)
};

// A recryption over its quota, found by the store: the audit record says 429 with `what()`,
// the nonce is kept, and the request is answered 429 with Retry-After.
class QuotaRefused : public ServiceError {
 public:
  QuotaRefused(const std::string& reason, std::int64_t retry_after)
      : ServiceError(status::kTooManyRequests, reason), retry_after_(retry_after) {}
  std::int64_t retry_after() const noexcept { return retry_after_; }

 private:
  std::int64_t retry_after_;
};

// What a request that changed nothing else leaves in the store: its seen nonce and its audit
// record, and for a RecryptData answered 201 on a shared store, what its quota is.
struct Bookkeeping {
  std::string nonce;
  std::int64_t nonce_expires = 0;
  AuditRecord audit;
  std::optional<QuotaCharge> charge = std::nullopt;
  // The store generation the signer and the plan this answer was decided on were read under
  // (0: read in no cache, nothing to check). A shared store stores the entry only if no change
  // committed since; else it fails with StaleRead.
  std::uint64_t read_generation = 0;
};

// What was read under `read_generation` may be stale: a change committed since (another
// recryptd's, whose notification may not have arrived). Nothing of the entry or job was
// stored; the service decides the request again on a fresh read. `generation` is the store's
// generation when it refused, and generation() is at least that by the time `done` runs.
class StaleRead : public ServiceError {
 public:
  explicit StaleRead(std::uint64_t generation)
      : ServiceError(status::kUnavailable, "the service's view of the store was stale"),
        generation_(generation) {}
  std::uint64_t generation() const noexcept { return generation_; }

 private:
  std::uint64_t generation_;
};

// How durable a write must be before its `done` runs.
enum class Durability {
  // On disk (fsync) before the answer: every change a client asked for.
  full,
  // In the database before the answer, so it survives a crash of recryptd, and on disk
  // within a second (or with the next full write): the bookkeeping of reads and recryptions
  // (their nonce and audit record), which would otherwise cost one fsync per batch of
  // RecryptData. docs/SERVICE.md says what a power loss can then forget.
  process,
};

class Store {
 public:
  virtual ~Store() = default;
  virtual void read(const std::function<void(StoreReader&)>& work) = 0;
  // `work` runs on the store's writer; its changes commit with others' in one transaction,
  // and are undone alone if it throws. `done` gets nullptr after a durable commit, or the
  // exception (from `work`, or from the commit). What `work` reads it reads in that
  // transaction, so nothing of it is stale (Bookkeeping::read_generation is for what was read
  // before).
  virtual void write(std::function<void(StoreWriter&)> work,
                     std::function<void(std::exception_ptr)> done,
                     Durability durability = Durability::full) = 0;
  // Stores `entry` like a write() at Durability::process, in the same order with the other
  // writes, but as plain rows: the writer inserts the bookkeeping of many requests with a few
  // multi-row statements instead of running a job (and a savepoint) for each.
  virtual void record(Bookkeeping entry, std::function<void(std::exception_ptr)> done) = 0;
  // Finishes queued writes and stops the writer.
  virtual void close() = 0;
  // Changes whenever a Durability::full write commits, before its `done` runs: whatever was
  // read under an earlier generation may be stale (the service's caches check it).
  virtual std::uint64_t generation() const = 0;
  // True when other recryptd may write the same store (PostgreSQL): then the store, not this
  // process, is the authority on which nonces were seen, and an in-memory replay cache is only
  // a first filter, never refilled from the store.
  virtual bool shared() const { return false; }
  // Refuses (throws) a service key other than the one the store's recryption keys are sealed
  // with; a shared store remembers the first key's check value. The SQLite store keeps its
  // key file beside the database and checks nothing.
  virtual void check_service_key(const KeyVault& vault) { (void)vault; }
};

std::unique_ptr<Store> open_sqlite_store(const std::string& path);
// A postgresql:// or postgres:// connection URI names a PostgreSQL store.
bool is_postgres_url(const std::string& db);
// The store `db` names: a PostgreSQL URI (in a recryptd built with PostgreSQL) or else the
// path of a SQLite file.
std::unique_ptr<Store> open_store(const std::string& db);

}  // namespace recrypt::service
