// A real recryptd for tests: started on an ephemeral loopback port with its database in a
// temporary folder of its own, so tests run in parallel. Its stdout and stderr go to files in
// that folder (a pipe nobody drains could block the server). Killed when destroyed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/child_process.hpp"
#include "tests/service/postgres_server.hpp"

namespace recrypt::test {

class RecryptdProcess {
 public:
  // `extra_args` are added to --listen 127.0.0.1:0 --db DIR/recryptd.db, or on PostgreSQL
  // (on_postgres()) to --db URI --service-key DIR/service.key, URI a new database of the
  // test cluster: $RECRYPT_TEST_PG's (the ctest fixture pg), else one this process starts.
  explicit RecryptdProcess(std::vector<std::string> extra_args = {});
  // On PostgreSQL, a recryptd on a new database of `cluster` rather than of the test cluster
  // (a test that restarts or stops its server).
  RecryptdProcess(std::vector<std::string> extra_args, PostgresServer& cluster);
  // A second recryptd on the store (and with the service key) of `same_store`.
  RecryptdProcess(std::vector<std::string> extra_args, const RecryptdProcess& same_store);
  ~RecryptdProcess();
  RecryptdProcess(const RecryptdProcess&) = delete;
  RecryptdProcess& operator=(const RecryptdProcess&) = delete;

  void start();    // throws std::runtime_error when the server does not come up within 10 s
  void stop();     // SIGTERM and wait: a clean shutdown
  void kill9();    // SIGKILL and wait: a crash
  void restart();  // stop (if running) and start on the same database, on a new port
  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }
  // True when the process has exited (reaps it).
  bool exited();

  std::uint16_t port() const { return port_; }
  std::string url() const;  // http://127.0.0.1:PORT, https:// when started with --cert
  std::string audience() const { return url(); }
  const std::filesystem::path& dir() const { return dir_; }
  // The SQLite file of a server on SQLite.
  std::filesystem::path db() const { return dir_ / "recryptd.db"; }
  // What the server is given as --db: db(), or a PostgreSQL URI.
  std::string store_url() const;
  // Runs SQL on the store while the server is stopped, as someone with the database would,
  // and starts it again. Throws std::runtime_error with the database's message on failure.
  void edit_database(const std::string& sql);
  // Runs SQL on the PostgreSQL store while the server runs (throws on SQLite).
  void run_sql(const std::string& sql) const;
  // True when the tests run against PostgreSQL: RECRYPT_TEST_STORE=postgresql, or
  // RECRYPT_TEST_PG names the cluster's folder.
  static bool on_postgres();
  std::string log() const;  // what the server wrote to stderr so far

  void set_args(std::vector<std::string> extra_args) { extra_args_ = std::move(extra_args); }
  // The wait status of the last exit (see waitpid), -1 before any.
  int last_exit_status() const { return process_.status(); }

 private:
  std::vector<std::string> extra_args_;
  std::filesystem::path dir_;
  PostgresServer* cluster_ = nullptr;  // on PostgreSQL: where database_ is
  std::string database_;               // on PostgreSQL: the database's name
  bool owns_database_ = false;  // made for this server (dropped with it), not shared from another
  std::filesystem::path service_key_;
  ChildProcess process_;
  std::uint16_t port_ = 0;
  int starts_ = 0;
};

}  // namespace recrypt::test
