#include "bench/service/bookkeeping_writer.hpp"

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "service/sqlite.hpp"

namespace recrypt::bench {
namespace {

using service::sqlite::Connection;
using service::sqlite::Sql;
using service::sqlite::Statement;

// recryptd's writer's batching (service/sqlite_store.cpp), so that both commit as often.
constexpr std::size_t kMaxBatch = 256;
constexpr auto kLinger = std::chrono::milliseconds(2);
constexpr std::size_t kFillTarget = 64;
constexpr std::size_t kRowsPerInsert = 32;
constexpr int kColumns = 12;

std::filesystem::path make_folder() {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "service_load-ceiling-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace

struct BookkeepingWriter::Impl {
  struct Job {
    BookkeepingRow row;
    std::function<void(bool)> committed;
  };

  Impl() : folder(make_folder()), conn((folder / "ceiling.sqlite").string()) {
    conn.exec("PRAGMA journal_mode = WAL");
    conn.exec(
        "CREATE TABLE bookkeeping(seq INTEGER PRIMARY KEY, nonce TEXT NOT NULL, "
        "expires INTEGER NOT NULL, time INTEGER NOT NULL, txn TEXT NOT NULL, "
        "group_id TEXT NOT NULL, member TEXT NOT NULL, device TEXT NOT NULL, "
        "key_id TEXT NOT NULL, status INTEGER NOT NULL, description TEXT NOT NULL, "
        "document TEXT NOT NULL, agreement TEXT NOT NULL);"
        "CREATE INDEX bookkeeping_agreement ON bookkeeping(group_id, agreement)");
    conn.exec(
        "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 4000");
    for (std::size_t n = 1; n <= kRowsPerInsert; ++n)
      inserts.push_back(Sql::insert_rows(
          "INSERT INTO bookkeeping(nonce, expires, time, txn, group_id, member, device, key_id, "
          "status, description, document, agreement)",
          kColumns, n));
    thread = std::thread([this] { run(); });
    clocks.add(thread);
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex);
      closing = true;
      cv.notify_one();
    }
    thread.join();
  }

  void insert(const std::vector<Job>& batch) {
    for (std::size_t start = 0; start < batch.size(); start += kRowsPerInsert) {
      std::size_t rows = std::min(kRowsPerInsert, batch.size() - start);
      Statement s(conn, inserts[rows - 1]);
      for (std::size_t i = 0; i < rows; ++i) {
        const BookkeepingRow& r = batch[start + i].row;
        int col = static_cast<int>(i) * kColumns;
        s.bind(col + 1, r.nonce)
            .bind(col + 2, r.expires)
            .bind(col + 3, r.time)
            .bind(col + 4, r.transaction)
            .bind(col + 5, r.group)
            .bind(col + 6, r.member)
            .bind(col + 7, r.device)
            .bind(col + 8, r.key_id)
            .bind(col + 9, r.status)
            .bind(col + 10, r.description)
            .bind(col + 11, r.document)
            .bind(col + 12, r.agreement);
      }
      s.run();
    }
  }

  // recryptd's writer loop for bookkeeping alone: commits at synchronous=NORMAL, a synced
  // commit once the oldest unsynced one is a second old, a checkpoint when idle for a second.
  void run() {
    bool unsynced = false;
    bool synchronous_full = true;
    std::chrono::steady_clock::time_point unsynced_since;
    std::size_t last_batch = 0;
    for (;;) {
      std::vector<Job> batch;
      {
        std::unique_lock lock(mutex);
        bool woken = cv.wait_for(lock, std::chrono::seconds(1),
                                 [this] { return closing || !queue.empty(); });
        if (!woken || (closing && queue.empty())) {
          bool stop = closing;
          lock.unlock();
          if (unsynced)
            sqlite3_exec(conn.get(), "PRAGMA wal_checkpoint(PASSIVE)", nullptr, nullptr, nullptr);
          unsynced = false;
          last_batch = 0;
          if (stop) return;
          continue;
        }
        if (!closing && last_batch > 1 && queue.size() < kFillTarget)
          cv.wait_for(lock, kLinger, [this] { return closing; });
        while (!queue.empty() && batch.size() < kMaxBatch) {
          batch.push_back(std::move(queue.front()));
          queue.pop_front();
        }
        last_batch = batch.size();
      }
      auto now = std::chrono::steady_clock::now();
      bool full = unsynced && now - unsynced_since >= std::chrono::seconds(1);
      bool ok = true;
      try {
        if (full != synchronous_full) {
          conn.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
          synchronous_full = full;
        }
        conn.exec("BEGIN IMMEDIATE");
        insert(batch);
        conn.exec("COMMIT");
        if (full) {
          unsynced = false;
        } else if (!unsynced) {
          unsynced = true;
          unsynced_since = now;
        }
      } catch (const std::exception&) {
        sqlite3_exec(conn.get(), "ROLLBACK", nullptr, nullptr, nullptr);
        ok = false;
      }
      for (Job& j : batch) j.committed(ok);
    }
  }

  std::filesystem::path folder;
  Connection conn;
  std::vector<Sql> inserts;  // for 1 to kRowsPerInsert rows
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool closing = false;
  std::thread thread;
  ThreadCpuClocks clocks;
};

BookkeepingWriter::BookkeepingWriter() : impl_(std::make_unique<Impl>()) {}

BookkeepingWriter::~BookkeepingWriter() {
  std::filesystem::path folder = impl_->folder;
  impl_.reset();  // the connection is closed before its files go
  std::error_code ec;
  std::filesystem::remove_all(folder, ec);
}

const ThreadCpuClocks& BookkeepingWriter::cpu_clocks() const { return impl_->clocks; }

void BookkeepingWriter::record(BookkeepingRow row, std::function<void(bool committed)> committed) {
  std::lock_guard lock(impl_->mutex);
  // Like recryptd's writer, woken only for a batch's first job.
  bool wake = impl_->queue.empty();
  impl_->queue.push_back({std::move(row), std::move(committed)});
  if (wake) impl_->cv.notify_one();
}

}  // namespace recrypt::bench
