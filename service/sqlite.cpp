#include "service/sqlite.hpp"

#include <mutex>
#include <set>

namespace recrypt::service::sqlite {
namespace {

[[noreturn]] void raise(sqlite3* db, const char* where) {
  throw StoreError(std::string(where) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Sql Sql::insert_rows(Sql head, int columns, std::size_t rows) {
  std::string row = "(?";
  for (int i = 1; i < columns; ++i) row += ", ?";
  row += ")";
  std::string sql(head.c_str());
  sql += " VALUES";
  for (std::size_t n = 1; n <= rows; ++n) sql += (n == 1 ? " " : ", ") + row;
  // Never erased: a node, and the text in it, stays where it is until the program ends.
  static std::mutex mutex;
  static std::set<std::string> kept;
  std::lock_guard lock(mutex);
  return Sql(Kept{}, kept.insert(std::move(sql)).first->c_str());
}

Connection::Connection(const std::string& path) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw StoreError("cannot open database: " + msg);
  }
  // Waits instead of failing while another connection holds the write lock.
  sqlite3_busy_timeout(db_, 5000);
  sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

sqlite3_stmt* Connection::take_cached(Sql sql) {
  auto it = cache_.find(sql.c_str());
  if (it == cache_.end()) return nullptr;
  sqlite3_stmt* stmt = it->second;
  cache_.erase(it);  // in use: a nested use of the same SQL prepares its own
  return stmt;
}

void Connection::give_back(Sql sql, sqlite3_stmt* stmt) {
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (!cache_.emplace(sql.c_str(), stmt).second) sqlite3_finalize(stmt);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw StoreError("sqlite: " + msg);
  }
}

int Connection::user_version() {
  Statement s(*this, "PRAGMA user_version");
  s.step();
  return static_cast<int>(s.integer(0));
}

Statement::Statement(Connection& c, Sql sql) : conn_(c), sql_(sql), db_(c.get()) {
  stmt_ = c.take_cached(sql);
  if (stmt_ == nullptr && sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT,
                                             &stmt_, nullptr) != SQLITE_OK)
    raise(db_, "prepare");
}

Statement::~Statement() { conn_.give_back(sql_, stmt_); }

Statement& Statement::bind(int i, std::string_view text) {
  if (sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    raise(db_, "bind");
  return *this;
}

Statement& Statement::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) raise(db_, "bind");
  return *this;
}

Statement& Statement::bind_blob(int i, ByteView blob) {
  if (sqlite3_bind_blob(stmt_, i, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT) !=
      SQLITE_OK)
    raise(db_, "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  raise(db_, "step");
}

void Statement::run() {
  while (step()) {
  }
}

std::string Statement::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}

std::int64_t Statement::integer(int col) const { return sqlite3_column_int64(stmt_, col); }

Bytes Statement::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  return p ? Bytes(p, p + sqlite3_column_bytes(stmt_, col)) : Bytes();
}

}  // namespace recrypt::service::sqlite
