#include "service/pg.hpp"

#include <charconv>
#include <cstring>

#include "protocol/service/service_error.hpp"

namespace recrypt::service::pg {
namespace {

// The server's first line of an error, without the connection details libpq may add.
std::string first_line(const char* message) {
  std::string m = message != nullptr ? message : "";
  auto end = m.find('\n');
  return end == std::string::npos ? m : m.substr(0, end);
}

}  // namespace

Params& Params::add(std::string value, int format, bool is_null) {
  values_.push_back(std::make_unique<std::string>(std::move(value)));
  pointers_.push_back(is_null ? nullptr : values_.back()->data());
  lengths_.push_back(static_cast<int>(values_.back()->size()));
  formats_.push_back(format);
  return *this;
}
Params& Params::text(std::string_view v) { return add(std::string(v), 0); }
Params& Params::integer(std::int64_t v) { return add(std::to_string(v), 0); }
Params& Params::bytes(ByteView v) {
  return add(std::string(reinterpret_cast<const char*>(v.data()), v.size()), 1);
}
Params& Params::null() { return add({}, 0, true); }

Result::~Result() {
  if (r_ != nullptr) PQclear(r_);
}

std::uint64_t Result::affected() const {
  const char* n = PQcmdTuples(r_);
  std::uint64_t v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

std::string Result::text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
}

std::int64_t Result::integer(int row, int col) const {
  const char* v = PQgetvalue(r_, row, col);
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(v, v + std::strlen(v), out);
  if (ec != std::errc() || *end != '\0') throw StoreError("a column is not an integer");
  return out;
}

Bytes Result::bytes(int row, int col) const {
  std::size_t n = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col)), &n);
  if (raw == nullptr) throw StoreError("a bytea column does not decode");
  Bytes out(raw, raw + n);
  PQfreemem(raw);
  return out;
}

Connection::Connection(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (conn_ == nullptr) throw Disconnected("cannot allocate a PostgreSQL connection");
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string why = first_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw Disconnected("cannot connect to PostgreSQL: " + why);
  }
  // Notices (e.g. "relation already exists, skipping") are not the operator's concern.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
}

Connection::~Connection() {
  if (conn_ != nullptr) PQfinish(conn_);
}

void Connection::reset() {
  prepared_.clear();
  PQreset(conn_);
  if (!ok())
    throw Disconnected("cannot reconnect to PostgreSQL: " + first_line(PQerrorMessage(conn_)));
}

Result Connection::check(PGresult* r) {
  Result result(r);
  ExecStatusType status = r != nullptr ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state != nullptr ? state : "";
  std::string message = first_line(r != nullptr ? PQresultErrorMessage(r) : PQerrorMessage(conn_));
  if (!ok() || code.rfind("08", 0) == 0 || code.rfind("57P0", 0) == 0)
    throw Disconnected("lost the PostgreSQL connection: " + message);
  if (code == "40001" || code == "40P01") throw Retry(message);
  if (code == "23505")
    refuse(status::kConflict, "a concurrent change of the same thing came first");
  throw StoreError(message);
}

void Connection::exec(const char* sql) { check(PQexec(conn_, sql)); }

Result Connection::run(Sql sql, const Params& params) {
  auto it = prepared_.find(sql.c_str());
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size());
    check(PQprepare(conn_, name.c_str(), sql.c_str(), 0, nullptr));
    it = prepared_.emplace(sql.c_str(), std::move(name)).first;
  }
  return check(PQexecPrepared(conn_, it->second.c_str(), params.size(), params.values(),
                              params.lengths(), params.formats(), 0));
}

}  // namespace recrypt::service::pg
