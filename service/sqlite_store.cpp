// The SQLite Store: WAL, synchronous=FULL, schema versioned by PRAGMA user_version.
// One writer thread owns the write connection and commits the writes of concurrent requests
// together (group commit): one fsync for many answers, and still no answer before its commit.
// Readers take a connection from a small pool; WAL lets them read while the writer writes.
// The schema is in sqlite_schema.cpp, the rows in sqlite_access.cpp.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "service/sqlite.hpp"
#include "service/sqlite_access.hpp"
#include "service/sqlite_schema.hpp"
#include "service/store.hpp"

namespace recrypt::service {
namespace {

using sqlite::Connection;
using sqlite::Statement;

constexpr std::size_t kMaxBatch = 256;
// A commit writes about the same pages for 3 requests' bookkeeping as for 60, so under load
// (the last batch held more than one job) and while only bookkeeping waits (no change whose
// client waits for it), the writer lets a batch fill for up to kLinger first: fewer commits,
// and fewer wake-ups of the writer. A lone request on an idle service is committed at once:
// waiting for company that is not coming would only add kLinger to its answer.
constexpr auto kLinger = std::chrono::milliseconds(2);
constexpr std::size_t kFillTarget = 64;
constexpr const char* kWalAutocheckpoint = "PRAGMA wal_autocheckpoint = 4000";

class SqliteStore : public Store {
 public:
  explicit SqliteStore(const std::string& path) : path_(path), writer_conn_(path) {
    migrate(writer_conn_);
    writer_conn_.exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON");
    // A batch's savepoints (one per job, one per run of bookkeeping rows) keep their undo
    // pages in memory: on a file, each batch created, wrote and deleted a temporary file.
    writer_conn_.exec("PRAGMA temp_store = MEMORY");
    // Checkpoints every 4 000 WAL pages (16 MiB at 4 KiB pages) instead of SQLite's 1 000: a
    // checkpoint writes the pages every batch dirties (the audit's last pages, its indexes)
    // back into the database once however many commits changed them since, and syncs the
    // database, so fewer of them cost less. Durability does not depend on it (a synced commit
    // each second, a checkpoint when idle); the WAL stays bounded by it.
    writer_conn_.exec(kWalAutocheckpoint);
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
        bool woken = cv_.wait_for(lock, std::chrono::seconds(1),
                                  [this] { return closing_ || !queue_.empty(); });
        if (!woken || (closing_ && queue_.empty())) {
          bool closing = closing_;
          lock.unlock();
          // A checkpoint syncs the WAL: Durability::process writes reach the disk.
          if (unsynced)
            sqlite3_exec(writer_conn_.get(), "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr,
                         nullptr);
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
      bool full = std::any_of(batch.begin(), batch.end(),
                              [](const Job& j) { return j.durability == Durability::full; }) ||
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
  static void run_batch(SqliteAccess& access, std::vector<Job>& batch,
                        std::vector<std::exception_ptr>& results) {
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

std::unique_ptr<Store> open_sqlite_store(const std::string& path) {
  return std::make_unique<SqliteStore>(path);
}

}  // namespace recrypt::service
