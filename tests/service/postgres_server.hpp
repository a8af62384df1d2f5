// A real PostgreSQL server for tests: a cluster made by initdb in a temporary folder and run by
// pg_ctl, listening on a Unix socket in that folder only (no TCP port to collide on). PostgreSQL
// refuses to run as root, so as root the cluster belongs to the user postgres (else nobody)
// and its programs run as that user (setpriv). Each test makes a database of its own in it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>

namespace recrypt::test {

struct PostgresOptions {
  // Off, tests run without fsync and full-page writes: a crash of the host may lose their
  // clusters, which nobody keeps. On, PostgreSQL's own durable settings, for a benchmark that
  // measures what a production server costs.
  bool durable = false;
};

class PostgresServer {
 public:
  // True when PostgreSQL's server programs (initdb, pg_ctl) are found.
  static bool installed();
  // A new cluster in a new temporary folder, started; stopped and removed when destroyed.
  static PostgresServer start_new(PostgresOptions options = {});
  // The cluster another process started in `dir` (pg_cluster start): neither started nor
  // stopped by this object.
  static PostgresServer attach(const std::filesystem::path& dir);
  // Makes a cluster in `dir` (created if missing; a cluster left there by a crashed run is
  // stopped and replaced) and starts it.
  static void create(const std::filesystem::path& dir, PostgresOptions options = {});
  // Stops the cluster in `dir` (by its pid file) and removes the folder.
  static void destroy(const std::filesystem::path& dir);

  ~PostgresServer();
  PostgresServer(PostgresServer&& other) noexcept;
  PostgresServer& operator=(PostgresServer&&) = delete;
  PostgresServer(const PostgresServer&) = delete;

  // A new, empty database; returns its name.
  std::string create_database();
  // The connection URI of database `db` for user recrypt over the socket.
  std::string url(const std::string& db) const;
  // Runs SQL on database `db` with psql; throws std::runtime_error with psql's message.
  void run_sql(const std::string& db, const std::string& sql) const;

  void stop();     // pg_ctl stop -m fast
  void start();    // pg_ctl start
  void restart();  // stop, start
  const std::filesystem::path& dir() const { return dir_; }
  // The postmaster's process id, from its pid file; 0 when the cluster is not running.
  pid_t pid() const;

 private:
  PostgresServer(std::filesystem::path dir, bool owned, PostgresOptions options)
      : dir_(std::move(dir)), owned_(owned), options_(options) {}
  std::filesystem::path dir_;
  bool owned_ = false;
  PostgresOptions options_;
};

}  // namespace recrypt::test
