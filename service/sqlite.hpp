// A thin owning wrapper over the SQLite C API: a connection and prepared statements with
// typed binds and columns. Any failure throws StoreError with SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/bytes.hpp"

namespace recrypt::service::sqlite {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The text of a statement, made only from a string literal (or, for multi-row inserts, from a
// literal and counts). The statement cache (Connection) keys prepared statements by the
// address of their text, not by its content, so that a lookup costs no hashing of the SQL.
// That is only sound while an address names one text for as long as the program runs. A
// std::string's buffer is freed and its address handed to the next allocation: a Statement
// made from `text.c_str()` could be given the statement prepared for whatever SQL was there
// before, and run it with its own binds. So a Sql cannot be made from a `const char*`: the
// consteval constructor takes an array that compile-time evaluation can read, which only a
// string literal or a constexpr array is (static storage, never changed; a constexpr array
// on the stack is refused too, its address is no constant), and `insert_rows` keeps what it
// makes until the program ends. Request data thereby stays out of SQL text: values only ever
// go in through bind().
class Sql {
 public:
  // Implicit, so that a literal is written where a Sql is wanted: Statement(c, "SELECT ...").
  template <std::size_t N>
  consteval Sql(const char (&literal)[N]) : text_(literal) {
    if (literal[N - 1] != '\0') throw "SQL text must end with a NUL";
  }
  // A mutable array could be rewritten under a prepared statement.
  template <std::size_t N>
  Sql(char (&)[N]) = delete;

  // "`head` VALUES (?, ...), (?, ...), ...": `rows` rows of `columns` placeholders. Each
  // distinct text is made once and kept until the program ends.
  static Sql insert_rows(Sql head, int columns, std::size_t rows);

  const char* c_str() const noexcept { return text_; }

 private:
  struct Kept {};
  Sql(Kept, const char* text) : text_(text) {}

  const char* text_;
};

class Connection {
 public:
  explicit Connection(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL text without preparing it for reuse: the schema's migrations and pragmas, which
  // may be made at run time.
  void exec(const char* sql);
  sqlite3* get() const noexcept { return db_; }
  int user_version();

 private:
  friend class Statement;
  // Prepared statements kept for reuse, keyed by their SQL text's address (see Sql): parsing
  // SQL anew for each request cost more than running it. Two equal texts at two addresses
  // (literals the compiler did not merge) only cost two prepared statements.
  sqlite3_stmt* take_cached(Sql sql);
  void give_back(Sql sql, sqlite3_stmt* stmt);

  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

class Statement {
 public:
  Statement(Connection& c, Sql sql);
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
  Sql sql_;
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace recrypt::service::sqlite
