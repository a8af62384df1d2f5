// The PostgreSQL Store, for several recryptd on one database. One writer thread owns the
// write connection and commits the writes of concurrent requests together (group commit), as
// the SQLite store does; readers take a connection from a small pool and read one snapshot
// each (REPEATABLE READ). The schema is in pg_schema.cpp, the rows in pg_access.cpp.
//
// Durability::full: synchronous commit (as the server is configured), and the store's
// generation (table generation) goes up in the same transaction. Durability::process: the
// transaction commits with synchronous_commit off: visible to every recryptd and safe from a
// crash of recryptd before the answer, on the server's disk within three wal_writer_delay.
//
// The generation is what the service's read caches are checked against. Another recryptd's
// change raises it in the database and notifies (NOTIFY recrypt_generation); a listener
// thread here raises this store's generation() on each notification, so this instance's
// caches are retired as soon as the change is committed and the notification arrives. The
// notification is only the fast path: bookkeeping read under an older generation than the
// database's at its commit is not stored (StaleRead) and the service decides the request
// again, so no answer rests on a read a committed change made stale (docs/SERVICE.md §6,
// "At once"). A group's audit records are inserted under its advisory lock, held to the
// commit, so a group's seq order is its commit order ("One audit order").
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "base/error.hpp"
#include "protocol/service/service_error.hpp"
#include "service/key_vault.hpp"
#include "service/pg.hpp"
#include "service/pg_access.hpp"
#include "service/pg_schema.hpp"
#include "service/request_log.hpp"
#include "service/store.hpp"

namespace recrypt::service {
namespace {

using pg::Connection;

constexpr std::size_t kMaxBatch = 256;
constexpr auto kLinger = std::chrono::milliseconds(2);
constexpr std::size_t kFillTarget = 64;
constexpr std::size_t kPoolSize = 16;

// A connect_timeout unless the URI sets one: while the server is down, a request fails
// within seconds rather than hanging on the operating system's TCP timeout.
std::string with_defaults(const std::string& url) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=2";
}

void rollback(Connection& c) noexcept {
  if (c.ok()) PQclear(PQexec(c.get(), "ROLLBACK"));
}

class PgStore : public Store {
 public:
  explicit PgStore(const std::string& url) : url_(with_defaults(url)), writer_conn_(url_) {
    migrate(writer_conn_);
    // Generation 0 stands for "read in no cache, nothing to check" (read_generation): what a
    // recryptd reads on a new database must be checked too, so its generations start at 1.
    writer_conn_.run("UPDATE generation SET value = 1 WHERE id = 1 AND value = 0");
    pg::Result r = writer_conn_.run("SELECT value FROM generation WHERE id = 1");
    generation_.store(static_cast<std::uint64_t>(r.integer(0, 0)), std::memory_order_release);
    thread_ = std::thread([this] { run_writer(); });
    listener_ = std::thread([this] { run_listener(); });
  }
  ~PgStore() override { close(); }

  // A pooled connection learns that its server went away (restarted, failed over) only when
  // used: such a read is run once more on a new connection. A server still unreachable then
  // is the client's 503, as for writes.
  void read(const std::function<void(StoreReader&)>& work) override {
    for (int attempt = 0;; ++attempt) {
      try {
        read_once(work);
        return;
      } catch (const pg::Disconnected& e) {
        if (attempt == 0) continue;
        log_event("store", e.what());
        refuse(status::kUnavailable, "the store is unreachable");
      }
    }
  }

  void write(std::function<void(StoreWriter&)> work, std::function<void(std::exception_ptr)> done,
             Durability durability) override {
    enqueue({std::move(work), std::nullopt, std::move(done), durability});
  }

  void record(Bookkeeping entry, std::function<void(std::exception_ptr)> done) override {
    enqueue({{}, std::move(entry), std::move(done), Durability::process});
  }

  std::uint64_t generation() const override { return generation_.load(std::memory_order_acquire); }
  bool shared() const override { return true; }

  void check_service_key(const KeyVault& vault) override {
    Bytes check = vault.check_value();
    std::unique_ptr<Connection> c = acquire();
    c->run("INSERT INTO service_key(id, check_value) VALUES(1, $1) ON CONFLICT(id) DO NOTHING",
           pg::Params().bytes(check));
    pg::Result r = c->run("SELECT check_value FROM service_key WHERE id = 1");
    release(std::move(c));
    if (!vault.matches(r.bytes(0, 0)))
      throw pg::StoreError(
          "the service key is not the one this database's recryption keys are sealed with "
          "(every recryptd of one database needs the same --service-key file)");
  }

  void close() override {
    {
      std::lock_guard lock(mutex_);
      if (closing_) return;
      closing_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    stopping_.store(true, std::memory_order_release);
    if (listener_.joinable()) listener_.join();
  }

 private:
  struct Job {
    std::function<void(StoreWriter&)> work;
    std::optional<Bookkeeping> record;
    std::function<void(std::exception_ptr)> done;
    Durability durability;
  };

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
    job.done(std::make_exception_ptr(pg::StoreError("store is closing")));
  }

  void read_once(const std::function<void(StoreReader&)>& work) {
    std::unique_ptr<Connection> c = acquire();
    try {
      c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      PgAccess access(*c, /*locking=*/false);
      work(access);
      c->exec("COMMIT");
    } catch (...) {
      rollback(*c);
      release(std::move(c));
      throw;
    }
    release(std::move(c));
  }

  // A pooled connection, or a new one; one whose server went away is dropped, not reused.
  std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(pool_mutex_);
      while (!pool_.empty()) {
        auto c = std::move(pool_.back());
        pool_.pop_back();
        if (c->ok()) return c;
      }
    }
    return std::make_unique<Connection>(url_);
  }
  void release(std::unique_ptr<Connection> c) {
    if (!c->ok()) return;
    std::lock_guard lock(pool_mutex_);
    if (pool_.size() < kPoolSize) pool_.push_back(std::move(c));
  }

  void run_writer() {
    std::int64_t last_prune = 0;
    std::size_t last_batch = 0;
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mutex_);
        bool woken = cv_.wait_for(lock, std::chrono::seconds(1),
                                  [this] { return closing_ || !queue_.empty(); });
        if (!woken || (closing_ && queue_.empty())) {
          last_batch = 0;
          if (closing_) return;
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
      std::vector<std::exception_ptr> results(batch.size());
      commit_batch(batch, results, last_prune);
      for (std::size_t i = 0; i < batch.size(); ++i) batch[i].done(results[i]);
    }
  }

  // Commits the batch: each change (Durability::full) in a transaction of its own, each run of
  // other jobs in one. A change locks its group's row until it commits; two changes of two
  // groups in one transaction could lock them in the opposite order of another recryptd's and
  // deadlock, and one change's failure would fail the others.
  void commit_batch(std::vector<Job>& batch, std::vector<std::exception_ptr>& results,
                    std::int64_t& last_prune) {
    std::size_t start = 0;
    while (start < batch.size()) {
      std::size_t end = start + 1;
      if (batch[start].durability != Durability::full)
        while (end < batch.size() && batch[end].durability != Durability::full) ++end;
      commit_segment(batch, start, end, results, last_prune);
      start = end;
    }
  }

  // Commits jobs [start, end). A connection lost before COMMIT was sent is made again and the
  // jobs run once more (the server rolled them back), and so is a change the server aborted
  // as a deadlock or serialization failure. A connection lost during COMMIT leaves the
  // outcome unknown: those jobs fail with 503, never success.
  void commit_segment(std::vector<Job>& batch, std::size_t start, std::size_t end,
                      std::vector<std::exception_ptr>& results, std::int64_t& last_prune) {
    bool full = batch[start].durability == Durability::full;
    for (int attempt = 0;; ++attempt) {
      std::fill(results.begin() + static_cast<std::ptrdiff_t>(start),
                results.begin() + static_cast<std::ptrdiff_t>(end), nullptr);
      bool committing = false;
      try {
        if (!writer_conn_.ok()) writer_conn_.reset();
        writer_conn_.exec("BEGIN");
        if (!full) writer_conn_.exec("SET LOCAL synchronous_commit = off");
        PgAccess access(writer_conn_, /*locking=*/full);
        std::optional<std::uint64_t> generation;
        if (full) {
          run_jobs(access, batch, start, end, results);
          if (attempt == 0 && is_retry(results[start])) {
            rollback(writer_conn_);
            continue;
          }
          generation = access.raise_generation();
        } else {
          access.defer_audits();
          std::uint64_t seen = run_bookkeeping(access, batch, start, end, results);
          if (attempt == 0 &&
              std::any_of(results.begin() + static_cast<std::ptrdiff_t>(start),
                          results.begin() + static_cast<std::ptrdiff_t>(end), is_retry)) {
            rollback(writer_conn_);
            continue;
          }
          raise_generation(seen);
        }
        std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
        if (now - last_prune >= 60) {
          access.prune_nonces(now);
          last_prune = now;
        }
        committing = true;
        writer_conn_.exec("COMMIT");
        if (generation) raise_generation(*generation);
        return;
      } catch (const pg::Disconnected& e) {
        if (!committing && attempt == 0) {
          log_event("store", std::string("reconnecting: ") + e.what());
          continue;
        }
        log_event("store", e.what());
        fail(results, start, end,
             committing ? "the store did not confirm the change" : "the store is unreachable");
        return;
      } catch (const pg::Retry&) {
        // A deadlock or serialization failure of the bookkeeping's own statement: all of it
        // once more.
        rollback(writer_conn_);
        if (attempt == 0) continue;
        for (std::size_t i = start; i < end; ++i) results[i] = std::current_exception();
        return;
      } catch (...) {
        rollback(writer_conn_);
        for (std::size_t i = start; i < end; ++i) results[i] = std::current_exception();
        return;
      }
    }
  }

  static bool is_retry(const std::exception_ptr& e) {
    if (!e) return false;
    try {
      std::rethrow_exception(e);
    } catch (const pg::Retry&) {
      return true;
    } catch (...) {
      return false;
    }
  }

  // Raises generation() to each value another recryptd's change notifies. After (re)connecting
  // it reads the current value: notifications sent while it was away are lost.
  void run_listener() {
    std::unique_ptr<Connection> c;
    auto backoff = std::chrono::milliseconds(50);
    while (!stopping_.load(std::memory_order_acquire)) {
      try {
        if (!c || !c->ok()) {
          c = std::make_unique<Connection>(url_);
          c->exec("LISTEN recrypt_generation");
          // Read on another connection: this one's last statement stays its LISTEN, which is
          // how an operator finds it (pg_stat_activity.query).
          std::unique_ptr<Connection> reader = acquire();
          pg::Result r = reader->run("SELECT value FROM generation WHERE id = 1");
          release(std::move(reader));
          raise_generation(static_cast<std::uint64_t>(r.integer(0, 0)));
          backoff = std::chrono::milliseconds(50);
        }
        // A short timeout: close() waits for this thread.
        pollfd p{PQsocket(c->get()), POLLIN, 0};
        ::poll(&p, 1, 200);
        if (PQconsumeInput(c->get()) == 0) {
          c.reset();
          continue;
        }
        while (PGnotify* n = PQnotifies(c->get())) {
          raise_generation(std::strtoull(n->extra, nullptr, 10));
          PQfreemem(n);
        }
      } catch (const pg::StoreError&) {
        c.reset();
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
      }
    }
  }

  static void fail(std::vector<std::exception_ptr>& results, std::size_t start, std::size_t end,
                   const std::string& why) {
    for (std::size_t i = start; i < end; ++i)
      results[i] = std::make_exception_ptr(ServiceError(status::kUnavailable, why));
  }

  void raise_generation(std::uint64_t seen) {
    std::uint64_t now = generation_.load(std::memory_order_acquire);
    while (now < seen && !generation_.compare_exchange_weak(now, seen, std::memory_order_acq_rel)) {
    }
  }

  // A change: its job in a savepoint. A lost connection is not the job's failure: it ends
  // the transaction.
  static void run_jobs(PgAccess& access, std::vector<Job>& batch, std::size_t start,
                       std::size_t end, std::vector<std::exception_ptr>& results) {
    for (std::size_t i = start; i < end; ++i) {
      try {
        access.nested([&] { batch[i].work(access); });
      } catch (const pg::Disconnected&) {
        throw;
      } catch (...) {
        results[i] = std::current_exception();
      }
    }
  }

  // Bookkeeping: the jobs (reads and their nonces) each in a savepoint, their audit records
  // kept back; then every record and those audit records in one statement, under the locks
  // insert_bookkeeping takes in one sorted order. Returns the database's generation as last
  // seen by insert_bookkeeping.
  std::uint64_t run_bookkeeping(PgAccess& access, std::vector<Job>& batch, std::size_t start,
                                std::size_t end, std::vector<std::exception_ptr>& results) {
    std::vector<std::size_t> records;
    for (std::size_t i = start; i < end; ++i) {
      if (batch[i].record) {
        records.push_back(i);
        continue;
      }
      try {
        access.nested([&] { batch[i].work(access); });
      } catch (const pg::Disconnected&) {
        throw;
      } catch (...) {
        results[i] = std::current_exception();
      }
    }
    std::vector<const Bookkeeping*> entries;
    for (std::size_t i : records) entries.push_back(&*batch[i].record);
    std::vector<std::exception_ptr> outcome(entries.size());
    std::uint64_t generation =
        access.insert_bookkeeping(entries, access.take_deferred_audits(), outcome);
    for (std::size_t k = 0; k < records.size(); ++k) results[records[k]] = outcome[k];
    return generation;
  }

  std::string url_;
  Connection writer_conn_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<Connection>> pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  std::size_t full_queued_ = 0;
  bool closing_ = false;
  std::atomic<std::uint64_t> generation_{0};
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::thread listener_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  return std::make_unique<PgStore>(url);
}

}  // namespace recrypt::service
