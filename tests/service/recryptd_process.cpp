#include "tests/service/recryptd_process.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <optional>
#include <thread>

#include "tests/service/postgres_server.hpp"

#ifndef RECRYPTD_PATH
#error "RECRYPTD_PATH must name the recryptd binary"
#endif

namespace recrypt::test {

namespace {

// The cluster of the tests on PostgreSQL: the fixture's, or one of this process's own.
PostgresServer& test_cluster() {
  static std::optional<PostgresServer> cluster;
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  if (!cluster) {
    const char* shared = std::getenv("RECRYPT_TEST_PG");
    cluster.emplace(shared != nullptr && *shared != '\0' ? PostgresServer::attach(shared)
                                                         : PostgresServer::start_new());
  }
  return *cluster;
}

std::filesystem::path make_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "recryptd-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

}  // namespace

RecryptdProcess::RecryptdProcess(std::vector<std::string> extra_args)
    : extra_args_(std::move(extra_args)), dir_(make_dir()), service_key_(dir_ / "service.key") {
  if (on_postgres()) {
    cluster_ = &test_cluster();
    database_ = cluster_->create_database();
    owns_database_ = true;
  }
}

RecryptdProcess::RecryptdProcess(std::vector<std::string> extra_args, PostgresServer& cluster)
    : extra_args_(std::move(extra_args)),
      dir_(make_dir()),
      cluster_(&cluster),
      database_(cluster.create_database()),
      owns_database_(true),
      service_key_(dir_ / "service.key") {}

RecryptdProcess::RecryptdProcess(std::vector<std::string> extra_args,
                                 const RecryptdProcess& same_store)
    : extra_args_(std::move(extra_args)),
      dir_(make_dir()),
      cluster_(same_store.cluster_),
      database_(same_store.database_),
      service_key_(same_store.service_key_) {
  if (database_.empty()) throw std::runtime_error("only a PostgreSQL store is shared");
}

RecryptdProcess::~RecryptdProcess() {
  kill9();
  // A few MB each: a run of the suite would otherwise fill the cluster's disk.
  if (owns_database_) {
    try {
      cluster_->run_sql("postgres", "DROP DATABASE " + database_ + " WITH (FORCE)");
    } catch (const std::exception&) {
      // Left for pg.cluster.stop, which removes the whole cluster.
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string RecryptdProcess::url() const {
  bool tls = std::find(extra_args_.begin(), extra_args_.end(), "--cert") != extra_args_.end();
  return (tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(port_);
}

std::string RecryptdProcess::log() const {
  std::ifstream in(dir_ / "stderr");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool RecryptdProcess::on_postgres() {
  const char* store = std::getenv("RECRYPT_TEST_STORE");
  const char* cluster = std::getenv("RECRYPT_TEST_PG");
  return (store != nullptr && std::strcmp(store, "postgresql") == 0) ||
         (cluster != nullptr && *cluster != '\0');
}

std::string RecryptdProcess::store_url() const {
  return database_.empty() ? db().string() : cluster_->url(database_);
}

void RecryptdProcess::edit_database(const std::string& sql) {
  stop();
  if (!database_.empty()) {
    cluster_->run_sql(database_, sql);
    start();
    return;
  }
  sqlite3* h = nullptr;
  std::string failure;
  if (sqlite3_open(db().c_str(), &h) != SQLITE_OK) {
    failure = sqlite3_errmsg(h);
  } else {
    char* error = nullptr;
    if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK)
      failure = error != nullptr ? error : "failed";
    sqlite3_free(error);
  }
  sqlite3_close(h);
  if (!failure.empty()) throw std::runtime_error("editing the database: " + failure);
  start();
}

void RecryptdProcess::run_sql(const std::string& sql) const {
  if (database_.empty()) throw std::runtime_error("run_sql needs a store on PostgreSQL");
  cluster_->run_sql(database_, sql);
}

void RecryptdProcess::start() {
  if (process_.running()) throw std::runtime_error("recryptd already running");
  ++starts_;
  std::filesystem::path out = dir_ / ("stdout." + std::to_string(starts_));
  std::vector<std::string> args{RECRYPTD_PATH, "--listen", "127.0.0.1:0", "--db", store_url()};
  if (!database_.empty()) args.insert(args.end(), {"--service-key", service_key_.string()});
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  ChildOptions options;
  options.out = Redirect::file(out);
  options.err = Redirect::file(dir_ / "stderr", /*append=*/true);
  process_ = ChildProcess(args, options);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(out);
    std::string line;
    if (std::getline(in, line) && !in.eof()) {
      auto colon = line.rfind(':');
      if (line.rfind("listening on ", 0) == 0 && colon != std::string::npos) {
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(colon + 1)));
        return;
      }
    }
    if (exited()) throw std::runtime_error("recryptd exited at start: " + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  throw std::runtime_error("recryptd did not report its port in time");
}

bool RecryptdProcess::exited() { return process_.try_wait().has_value(); }

void RecryptdProcess::stop() {
  process_.kill(SIGTERM);
  process_.wait();
}

void RecryptdProcess::kill9() {
  process_.kill(SIGKILL);
  process_.wait();
}

void RecryptdProcess::restart() {
  stop();
  start();
}

}  // namespace recrypt::test
