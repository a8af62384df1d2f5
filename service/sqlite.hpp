// A thin owning wrapper over the SQLite C API: a connection and prepared statements with
// typed binds and columns. Any failure throws StoreError with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/bytes.hpp"

namespace recrypt::service::sqlite {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const char* sql);
  sqlite3* get() const noexcept { return db_; }
  int user_version();

 private:
  friend class Statement;
  // Prepared statements kept for reuse, keyed by their SQL text's address (every SQL text
  // is a literal): parsing SQL anew for each request cost more than running it.
  sqlite3_stmt* take_cached(const char* sql);
  void give_back(const char* sql, sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

class Statement {
 public:
  Statement(Connection& c, const char* sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, std::string_view text);
  Statement& bind(int i, std::int64_t v);
  Statement& bind_blob(int i, ByteView blob);
  bool step();  // true while a row is available
  void run();   // steps to the end

  std::string text(int col) const;
  std::int64_t integer(int col) const;
  Bytes blob(int col) const;

 private:
  Connection& conn_;
  const char* sql_;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace recrypt::service::sqlite
