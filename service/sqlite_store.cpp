// The SQLite Store: WAL, synchronous=FULL, schema versioned by PRAGMA user_version.
// One writer thread owns the write connection and commits the writes of concurrent requests
// together (group commit): one fsync for many answers, and still no answer before its commit.
// Readers take a connection from a small pool; WAL lets them read while the writer writes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include "service/sqlite.hpp"
#include "service/store.hpp"

namespace recrypt::service {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr int kSchemaVersion = 3;
constexpr std::size_t kMaxBatch = 256;
constexpr std::size_t kRowsPerInsert = 32;
// A commit writes about the same pages for 3 requests' bookkeeping as for 60, so under load
// (the last batch held more than one job) and while only bookkeeping waits (no change whose
// client waits for it), the writer lets a batch fill for up to kLinger first: fewer commits,
// and fewer wake-ups of the writer. A lone request on an idle service is committed at once:
// waiting for company that is not coming would only add kLinger to its answer.
constexpr auto kLinger = std::chrono::milliseconds(2);
constexpr std::size_t kFillTarget = 64;

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
};
static_assert(std::size(kMigrations) == kSchemaVersion);

std::int64_t privilege_bits(const Privileges& p) {
  return (p.recrypt ? 1 : 0) | (p.admin ? 2 : 0) | (p.super ? 4 : 0);
}
Privileges privileges_of(std::int64_t bits) { return {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0}; }

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}
std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

// The texts of "INSERT INTO table(columns) VALUES(?, ...), (?, ...), ..." for 1 to
// kRowsPerInsert rows, made once: the statement cache keys by the text's address.
class MultiInsert {
 public:
  MultiInsert(std::string_view head, int columns) {
    std::string row = "(?";
    for (int i = 1; i < columns; ++i) row += ", ?";
    row += ")";
    std::string sql(head);
    sql += " VALUES";
    for (std::size_t n = 1; n <= kRowsPerInsert; ++n) {
      sql += (n == 1 ? " " : ", ") + row;
      texts_.push_back(sql);
    }
  }
  const char* sql(std::size_t rows) const { return texts_.at(rows - 1).c_str(); }

 private:
  std::vector<std::string> texts_;
};

class SqliteAccess : public StoreWriter {
 public:
  explicit SqliteAccess(Connection& c) : c_(c) {}

  std::optional<SignerRecord> signer(const std::string& kid) override {
    Statement s(c_, "SELECT kid, profile_id, jwk, encryption_id FROM signers WHERE kid = ?");
    s.bind(1, kid);
    if (!s.step()) return std::nullopt;
    return SignerRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
  }
  std::optional<ProfileRecord> profile_by_id(const std::string& id) override {
    Statement s(c_, "SELECT id, type, name, token FROM profiles WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return ProfileRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
  }
  std::optional<ProfileRecord> profile_by_name(const std::string& type, const std::string& name) override {
    Statement s(c_, "SELECT id, type, name, token FROM profiles WHERE type = ? AND name = ?");
    s.bind(1, type).bind(2, name);
    if (!s.step()) return std::nullopt;
    return ProfileRecord{s.text(0), s.text(1), s.text(2), s.text(3)};
  }
  std::optional<GroupRecord> group(const std::string& ref) override {
    // An id wins over a name that happens to read like one.
    Statement s(c_, "SELECT id, name, token, key_id, key_ids, chain_length, chain_head FROM groups_ "
                    "WHERE id = ?1 OR name = ?1 ORDER BY id = ?1 DESC LIMIT 1");
    s.bind(1, ref);
    if (!s.step()) return std::nullopt;
    return GroupRecord{s.text(0), s.text(1), s.text(2), s.text(3), split_ids(s.text(4)),
                       static_cast<std::uint64_t>(s.integer(5)), s.text(6)};
  }
  std::optional<MemberRecord> member(const std::string& group_id, const std::string& member_id) override {
    Statement s(c_, "SELECT account, privileges, status FROM members WHERE group_id = ? AND member_id = ?");
    s.bind(1, group_id).bind(2, member_id);
    if (!s.step()) return std::nullopt;
    return MemberRecord{group_id, member_id, s.text(0), privileges_of(s.integer(1)), parse_status(s.text(2))};
  }
  std::vector<MemberRecord> members(const std::string& group_id) override {
    Statement s(c_, "SELECT member_id, account, privileges, status FROM members WHERE group_id = ? ORDER BY member_id");
    s.bind(1, group_id);
    std::vector<MemberRecord> out;
    while (s.step())
      out.push_back({group_id, s.text(0), s.text(1), privileges_of(s.integer(2)), parse_status(s.text(3))});
    return out;
  }
  std::optional<KeyRecord> key(const std::string& group_id, const std::string& member_id,
                               const std::string& key_id) override {
    Statement s(c_, "SELECT recryption_key, wrapped_shares FROM member_keys "
                    "WHERE group_id = ? AND member_id = ? AND key_id = ?");
    s.bind(1, group_id).bind(2, member_id).bind(3, key_id);
    if (!s.step()) return std::nullopt;
    return KeyRecord{group_id, member_id, key_id, s.blob(0), s.text(1)};
  }
  std::vector<std::string> member_key_ids(const std::string& group_id, const std::string& member_id) override {
    Statement s(c_, "SELECT key_id FROM member_keys WHERE group_id = ? AND member_id = ?");
    s.bind(1, group_id).bind(2, member_id);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  std::vector<std::string> membership(const std::string& group_id, std::uint64_t from, std::uint64_t limit) override {
    Statement s(c_, "SELECT token FROM membership WHERE group_id = ? AND seq >= ? ORDER BY seq LIMIT ?");
    s.bind(1, group_id).bind(2, static_cast<std::int64_t>(from)).bind(3, static_cast<std::int64_t>(limit));
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.text(0));
    return out;
  }
  std::vector<AuditRecord> audit(const std::string& group_id, std::uint64_t after, std::uint64_t limit) override {
    Statement s(c_, "SELECT seq, time, txn, member, device, key_id, status, description FROM audit "
                    "WHERE group_id = ? AND seq > ? ORDER BY seq LIMIT ?");
    s.bind(1, group_id).bind(2, static_cast<std::int64_t>(after)).bind(3, static_cast<std::int64_t>(limit));
    std::vector<AuditRecord> out;
    while (s.step())
      out.push_back({static_cast<std::uint64_t>(s.integer(0)), s.integer(1), s.text(2), group_id, s.text(3),
                     s.text(4), s.text(5), static_cast<int>(s.integer(6)), s.text(7)});
    return out;
  }
  std::vector<std::pair<std::string, std::int64_t>> live_nonces(std::int64_t now) override {
    Statement s(c_, "SELECT nonce, expires FROM nonces WHERE expires >= ?");
    s.bind(1, now);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (s.step()) out.emplace_back(s.text(0), s.integer(1));
    return out;
  }

  void put_profile(const ProfileRecord& p, const std::vector<SignerRecord>& signers) override {
    Statement(c_, "INSERT OR REPLACE INTO profiles(id, type, name, token) VALUES(?, ?, ?, ?)")
        .bind(1, p.id).bind(2, p.type).bind(3, p.name).bind(4, p.token).run();
    Statement(c_, "DELETE FROM signers WHERE profile_id = ?").bind(1, p.id).run();
    for (const SignerRecord& s : signers)
      Statement(c_, "INSERT INTO signers(kid, profile_id, jwk, encryption_id) VALUES(?, ?, ?, ?)")
          .bind(1, s.kid).bind(2, s.profile_id).bind(3, s.jwk).bind(4, s.encryption_id).run();
  }
  void insert_group(const GroupRecord& g) override {
    Statement(c_, "INSERT INTO groups_(id, name, token, key_id, key_ids) VALUES(?, ?, ?, ?, ?)")
        .bind(1, g.id).bind(2, g.name).bind(3, g.token).bind(4, g.key_id).bind(5, join_ids(g.key_ids)).run();
  }
  void update_group(const GroupRecord& g) override {
    Statement(c_, "UPDATE groups_ SET name = ?, token = ?, key_id = ?, key_ids = ? WHERE id = ?")
        .bind(1, g.name).bind(2, g.token).bind(3, g.key_id).bind(4, join_ids(g.key_ids)).bind(5, g.id).run();
  }
  void insert_member(const MemberRecord& m) override {
    Statement(c_, "INSERT INTO members(group_id, member_id, account, privileges, status) VALUES(?, ?, ?, ?, ?)")
        .bind(1, m.group_id).bind(2, m.member_id).bind(3, m.account).bind(4, privilege_bits(m.privileges))
        .bind(5, to_string(m.status)).run();
  }
  void update_member(const MemberRecord& m) override {
    Statement(c_, "UPDATE members SET account = ?, privileges = ?, status = ? WHERE group_id = ? AND member_id = ?")
        .bind(1, m.account).bind(2, privilege_bits(m.privileges)).bind(3, to_string(m.status))
        .bind(4, m.group_id).bind(5, m.member_id).run();
  }
  void put_key(const KeyRecord& k) override {
    Statement(c_, "INSERT OR REPLACE INTO member_keys(group_id, member_id, key_id, recryption_key, wrapped_shares) "
                  "VALUES(?, ?, ?, ?, ?)")
        .bind(1, k.group_id).bind(2, k.member_id).bind(3, k.key_id).bind_blob(4, k.sealed_recryption_key)
        .bind(5, k.wrapped_shares).run();
  }
  void append_membership(const std::string& group_id, std::uint64_t seq, const std::string& token,
                         const std::string& hash) override {
    Statement(c_, "INSERT INTO membership(group_id, seq, token) VALUES(?, ?, ?)")
        .bind(1, group_id).bind(2, static_cast<std::int64_t>(seq)).bind(3, token).run();
    Statement(c_, "UPDATE groups_ SET chain_length = ?, chain_head = ? WHERE id = ?")
        .bind(1, static_cast<std::int64_t>(seq + 1)).bind(2, hash).bind(3, group_id).run();
  }
  void insert_nonce(const std::string& nonce, std::int64_t expires) override {
    Statement(c_, "INSERT INTO nonces(nonce, expires) VALUES(?, ?)").bind(1, nonce).bind(2, expires).run();
  }
  void append_audit(const AuditRecord& r) override {
    Statement(c_, "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description) "
                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, r.time).bind(2, r.transaction).bind(3, r.group).bind(4, r.member).bind(5, r.device)
        .bind(6, r.key_id).bind(7, static_cast<std::int64_t>(r.status)).bind(8, r.description).run();
  }
  // The nonces and audit records of `entries`, kRowsPerInsert rows to a statement.
  void insert_bookkeeping(const std::vector<const Bookkeeping*>& entries) {
    static const MultiInsert nonces("INSERT INTO nonces(nonce, expires)", 2);
    static const MultiInsert audits(
        "INSERT INTO audit(time, txn, group_id, member, device, key_id, status, description)", 8);
    for (std::size_t start = 0; start < entries.size(); start += kRowsPerInsert) {
      std::size_t rows = std::min(kRowsPerInsert, entries.size() - start);
      Statement n(c_, nonces.sql(rows));
      Statement a(c_, audits.sql(rows));
      for (std::size_t i = 0; i < rows; ++i) {
        const Bookkeeping& b = *entries[start + i];
        int col = static_cast<int>(i) * 2;
        n.bind(col + 1, b.nonce).bind(col + 2, b.nonce_expires);
        const AuditRecord& r = b.audit;
        col = static_cast<int>(i) * 8;
        a.bind(col + 1, r.time).bind(col + 2, r.transaction).bind(col + 3, r.group).bind(col + 4, r.member)
            .bind(col + 5, r.device).bind(col + 6, r.key_id).bind(col + 7, static_cast<std::int64_t>(r.status))
            .bind(col + 8, r.description);
      }
      n.run();
      a.run();
    }
  }

  void nested(const std::function<void()>& work) override {
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

 private:
  Connection& c_;
};

void migrate(Connection& c) {
  c.exec("PRAGMA journal_mode = WAL");
  int version = c.user_version();
  if (version > kSchemaVersion)
    throw sqlite::StoreError("database schema version " + std::to_string(version) + " is newer than this recryptd");
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

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const std::string& path) : path_(path), writer_conn_(path) {
    migrate(writer_conn_);
    writer_conn_.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    thread_ = std::thread([this] { run_writer(); });
  }
  ~SqliteStore() override { close(); }

  void read(const std::function<void(StoreReader&)>& work) override {
    std::unique_ptr<Connection> c = acquire();
    try {
      Statement(*c, "BEGIN").run();
      SqliteAccess access(*c);
      work(access);
      Statement(*c, "COMMIT").run();
    } catch (...) {
      sqlite3_exec(c->get(), "ROLLBACK", nullptr, nullptr, nullptr);
      release(std::move(c));
      throw;
    }
    release(std::move(c));
  }

  void write(std::function<void(StoreWriter&)> work, std::function<void(std::exception_ptr)> done,
             Durability durability) override {
    enqueue({std::move(work), std::nullopt, std::move(done), durability});
  }

  void record(Bookkeeping entry, std::function<void(std::exception_ptr)> done) override {
    enqueue({{}, std::move(entry), std::move(done), Durability::process});
  }

  std::uint64_t generation() const override { return generation_.load(std::memory_order_acquire); }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      if (closing_) return;
      closing_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  // Either `work` or `record`.
  struct Job {
    std::function<void(StoreWriter&)> work;
    std::optional<Bookkeeping> record;
    std::function<void(std::exception_ptr)> done;
    Durability durability;
  };

  // The writer is woken for the first job of a batch and for a change a client waits to see
  // durable; a job that joins a batch still filling needs no wake-up (a futex call and a
  // context switch each).
  void enqueue(Job job) {
    {
      std::lock_guard lock(mutex_);
      if (!closing_) {
        bool wake = queue_.empty() || job.durability == Durability::full;
        if (job.durability == Durability::full) ++full_queued_;
        queue_.push_back(std::move(job));
        if (wake) cv_.notify_one();
        return;
      }
    }
    job.done(std::make_exception_ptr(sqlite::StoreError("store is closing")));
  }

  std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(pool_mutex_);
      if (!pool_.empty()) {
        auto c = std::move(pool_.back());
        pool_.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<Connection>(path_);
    c->exec("PRAGMA query_only = ON");
    return c;
  }
  void release(std::unique_ptr<Connection> c) {
    std::lock_guard lock(pool_mutex_);
    if (pool_.size() < 16) pool_.push_back(std::move(c));
  }

  void run_writer() {
    SqliteAccess access(writer_conn_);
    std::int64_t last_prune = 0;
    bool unsynced = false;  // commits made with synchronous=NORMAL not yet on disk
    std::chrono::steady_clock::time_point unsynced_since;
    bool synchronous_full = true;
    std::size_t last_batch = 0;
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mutex_);
        bool woken = cv_.wait_for(lock, std::chrono::seconds(1), [this] { return closing_ || !queue_.empty(); });
        if (!woken || (closing_ && queue_.empty())) {
          bool closing = closing_;
          lock.unlock();
          // A checkpoint syncs the WAL: Durability::process writes reach the disk.
          if (unsynced) sqlite3_exec(writer_conn_.get(), "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
          unsynced = false;
          last_batch = 0;
          if (closing) return;
          continue;
        }
        if (!closing_ && last_batch > 1 && full_queued_ == 0 && queue_.size() < kFillTarget)
          cv_.wait_for(lock, kLinger, [this] { return closing_ || full_queued_ > 0; });
        while (!queue_.empty() && batch.size() < kMaxBatch) {
          if (queue_.front().durability == Durability::full) --full_queued_;
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
        last_batch = batch.size();
      }
      // Under steady load the idle checkpoint never comes: a batch is synced anyway once the
      // oldest unsynced commit is a second old, which keeps the promise of Durability::process.
      auto now_tp = std::chrono::steady_clock::now();
      bool full = std::any_of(batch.begin(), batch.end(), [](const Job& j) { return j.durability == Durability::full; }) ||
                  (unsynced && now_tp - unsynced_since >= std::chrono::seconds(1));
      std::vector<std::exception_ptr> results(batch.size());
      try {
        if (full != synchronous_full) {
          writer_conn_.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
          synchronous_full = full;
        }
        writer_conn_.exec("BEGIN IMMEDIATE");
        run_batch(access, batch, results);
        std::int64_t now = unix_seconds();
        if (now - last_prune >= 60) {
          Statement(writer_conn_, "DELETE FROM nonces WHERE expires < ?").bind(1, now).run();
          last_prune = now;
        }
        writer_conn_.exec("COMMIT");
        // A synced commit of the WAL carries every earlier commit to the disk with it.
        if (full) {
          generation_.fetch_add(1, std::memory_order_acq_rel);
          unsynced = false;
        } else if (!unsynced) {
          unsynced = true;
          unsynced_since = now_tp;
        }
      } catch (...) {
        sqlite3_exec(writer_conn_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        for (auto& r : results) r = std::current_exception();
      }
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
    }
  }

  // Runs the jobs of a batch in their order; consecutive records go in together, in a
  // savepoint of their own, so that their failure is undone alone like a job's.
  static void run_batch(SqliteAccess& access, std::vector<Job>& batch, std::vector<std::exception_ptr>& results) {
    std::vector<std::size_t> pending;
    auto flush = [&] {
      if (pending.empty()) return;
      std::vector<const Bookkeeping*> entries;
      for (std::size_t i : pending) entries.push_back(&*batch[i].record);
      try {
        access.nested([&] { access.insert_bookkeeping(entries); });
      } catch (...) {
        for (std::size_t i : pending) results[i] = std::current_exception();
      }
      pending.clear();
    };
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].record) {
        pending.push_back(i);
        continue;
      }
      flush();
      try {
        access.nested([&] { batch[i].work(access); });
      } catch (...) {
        results[i] = std::current_exception();
      }
    }
    flush();
  }

  static std::int64_t unix_seconds() { return static_cast<std::int64_t>(std::time(nullptr)); }

  std::string path_;
  Connection writer_conn_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::size_t full_queued_ = 0;  // jobs in queue_ at Durability::full
  bool closing_ = false;
  std::atomic<std::uint64_t> generation_{0};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Store> open_sqlite_store(const std::string& path) { return std::make_unique<SqliteStore>(path); }

}  // namespace recrypt::service
