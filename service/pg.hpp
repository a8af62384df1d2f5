// A thin owning wrapper over libpq: a connection, statements prepared once per connection,
// typed parameters and results. Failures throw: Disconnected when the server is gone (the
// caller reconnects), Retry when the server aborted a transaction it may run again
// (serialization failure, deadlock), a ServiceError(409) for a unique violation (a concurrent
// twin of a change), and StoreError for anything else, with the server's message.
#pragma once

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::service::pg {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class Disconnected : public StoreError {
 public:
  using StoreError::StoreError;
};
class Retry : public StoreError {
 public:
  using StoreError::StoreError;
};

// The text of a statement, made only from a string literal, so that request data stays out
// of SQL (it goes in as parameters only) and the statement cache can key prepared statements
// by the text's address (as sqlite::Sql, for the same reasons).
class Sql {
 public:
  template <std::size_t N>
  consteval Sql(const char (&literal)[N]) : text_(literal) {
    if (literal[N - 1] != '\0') throw "SQL text must end with a NUL";
  }
  template <std::size_t N>
  Sql(char (&)[N]) = delete;
  const char* c_str() const noexcept { return text_; }

 private:
  const char* text_;
};

// Parameters $1, $2, ... in order: text, or binary for bytea.
class Params {
 public:
  Params& text(std::string_view v);
  Params& integer(std::int64_t v);
  Params& bytes(ByteView v);
  Params& null();

  int size() const noexcept { return static_cast<int>(values_.size()); }
  const char* const* values() const noexcept { return pointers_.data(); }
  const int* lengths() const noexcept { return lengths_.data(); }
  const int* formats() const noexcept { return formats_.data(); }

 private:
  Params& add(std::string value, int format, bool is_null = false);
  std::vector<std::unique_ptr<std::string>> values_;  // stable addresses for pointers_
  std::vector<const char*> pointers_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

class Result {
 public:
  explicit Result(PGresult* r) noexcept : r_(r) {}
  ~Result();
  Result(Result&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
  Result& operator=(Result&&) = delete;
  Result(const Result&) = delete;

  int rows() const noexcept { return PQntuples(r_); }
  // Rows an INSERT, UPDATE or DELETE touched.
  std::uint64_t affected() const;
  bool is_null(int row, int col) const noexcept { return PQgetisnull(r_, row, col) != 0; }
  std::string text(int row, int col) const;
  std::int64_t integer(int row, int col) const;
  Bytes bytes(int row, int col) const;  // a bytea column, in text format

 private:
  PGresult* r_;
};

class Connection {
 public:
  // `conninfo` is a URI or key=value string; it is never part of an error message (it may
  // hold a password).
  explicit Connection(const std::string& conninfo);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL text, several statements at once, unprepared: the schema's migrations, BEGIN,
  // COMMIT, SAVEPOINT.
  void exec(const char* sql);
  // Runs `sql` with `params`, prepared on first use on this connection.
  Result run(Sql sql, const Params& params = {});
  // False once the server is gone; reset() connects again (its prepared statements with it).
  bool ok() const noexcept { return PQstatus(conn_) == CONNECTION_OK; }
  void reset();
  PGconn* get() const noexcept { return conn_; }

 private:
  Result check(PGresult* r);
  PGconn* conn_ = nullptr;
  std::unordered_map<const char*, std::string> prepared_;  // text address -> statement name
};

}  // namespace recrypt::service::pg
