// The protocol ceiling's store: one row per RecryptData (its nonce and an audit record of the
// size recryptd writes, indexed by key agreement like the audit), inserted into a SQLite file
// by one writer thread that commits many requests together, at the durability recryptd's
// SQLite store gives a RecryptData's bookkeeping (service/sqlite_store.cpp): WAL, each answer
// after its commit, the commit synced within a second. What recryptd's store does beyond that
// (a nonces table of its own, the audit's index by group, a savepoint per run of rows, the
// nonce prune once a minute) is its own choice, not the protocol's, and is left out.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/service/thread_cpu.hpp"

namespace recrypt::bench {

struct BookkeepingRow {
  std::string nonce;  // kid:nonce, as recryptd keys it
  std::int64_t expires = 0;
  std::int64_t time = 0;
  std::string transaction, group, member, device, key_id;
  std::int64_t status = 0;
  std::string description, document, agreement;
};

class BookkeepingWriter {
 public:
  // Creates a fresh database in a new folder under the temporary directory; the destructor
  // commits what is queued, stops the writer and removes the folder.
  BookkeepingWriter();
  ~BookkeepingWriter();
  BookkeepingWriter(const BookkeepingWriter&) = delete;
  BookkeepingWriter& operator=(const BookkeepingWriter&) = delete;

  // Queues `row`; `committed` runs on the writer thread once the row's transaction committed
  // (false when it failed).
  void record(BookkeepingRow row, std::function<void(bool committed)> committed);

  // The writer thread's clock.
  const ThreadCpuClocks& cpu_clocks() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrypt::bench
