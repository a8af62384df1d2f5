#include "tests/service/postgres_server.hpp"

#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/child_process.hpp"

namespace recrypt::test {
namespace {

constexpr const char* kPort = "5432";  // only names the socket file: each cluster has its folder

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The folder of initdb and pg_ctl: $RECRYPT_PG_BINDIR, else the newest
// /usr/lib/postgresql/*/bin, else PATH.
std::filesystem::path bindir() {
  if (const char* d = std::getenv("RECRYPT_PG_BINDIR")) return d;
  std::filesystem::path best;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    auto bin = e.path() / "bin";
    if (std::filesystem::exists(bin / "pg_ctl") && (best.empty() || bin > best)) best = bin;
  }
  return best;
}
std::string program(const char* name) {
  auto dir = bindir();
  return dir.empty() ? std::string(name) : (dir / name).string();
}

// Who runs the server: ourselves, or as root the user postgres (else nobody).
struct RunAs {
  bool other = false;
  uid_t uid = 0;
  gid_t gid = 0;
};
RunAs run_as() {
  RunAs r;
  if (::geteuid() != 0) return r;
  const passwd* pw = ::getpwnam("postgres");
  if (pw == nullptr) pw = ::getpwnam("nobody");
  if (pw == nullptr) throw std::runtime_error("no user postgres or nobody to run PostgreSQL as");
  return {true, pw->pw_uid, pw->pw_gid};
}

// Runs a PostgreSQL program as the server's user; its output goes to `log`. Returns the
// wait status.
int run_server_program(std::vector<std::string> argv, const std::filesystem::path& log) {
  RunAs who = run_as();
  if (who.other)
    argv.insert(argv.begin(), {"setpriv", "--reuid=" + std::to_string(who.uid),
                               "--regid=" + std::to_string(who.gid), "--clear-groups"});
  ChildOptions options;
  options.in = Redirect::null();
  options.out = Redirect::file(log, /*append=*/true);
  options.err = Redirect::to_stdout();
  options.environment = std::vector<std::string>{"PATH=/usr/bin:/bin", "LC_ALL=C"};
  ChildProcess p(argv, options);
  return p.wait();
}

void must(int status, const char* what, const std::filesystem::path& log) {
  if (!ChildProcess::succeeded(status))
    throw std::runtime_error(std::string(what) + " failed: " + read_file(log));
}

void hand_over(const std::filesystem::path& dir) {
  RunAs who = run_as();
  if (who.other && ::chown(dir.c_str(), who.uid, who.gid) != 0)
    throw std::runtime_error("cannot hand " + dir.string() + " to the server's user");
}

void pg_ctl_start(const std::filesystem::path& dir, PostgresOptions how) {
  auto log = dir / "ctl.log";
  std::string options = "-c listen_addresses='' -k " + dir.string() + " -p " + kPort +
                        (how.durable ? " -c fsync=on -c full_page_writes=on"
                                     : " -c fsync=off -c full_page_writes=off") +
                        " -c synchronous_commit=on"
                        " -c shared_buffers=16MB -c max_connections=200"
                        " -c dynamic_shared_memory_type=mmap";
  must(run_server_program({program("pg_ctl"), "-D", (dir / "data").string(), "-w", "-t", "30", "-l",
                           (dir / "server.log").string(), "-o", options, "start"},
                          log),
       "pg_ctl start", log);
}

pid_t pid_from_file(const std::filesystem::path& dir) {
  std::ifstream in(dir / "data" / "postmaster.pid");
  pid_t pid = 0;
  return in >> pid && pid > 0 ? pid : 0;
}

// Stops whatever cluster runs in `dir`, by its pid file: SIGINT (fast shutdown), then SIGKILL.
void stop_by_pid_file(const std::filesystem::path& dir) {
  pid_t pid = pid_from_file(dir);
  if (pid == 0) return;
  if (::kill(pid, SIGINT) != 0) return;
  for (int i = 0; i < 300 && ::kill(pid, 0) == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
}

}  // namespace

bool PostgresServer::installed() {
  auto dir = bindir();
  if (!dir.empty()) return std::filesystem::exists(dir / "initdb");
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');)
    if (!folder.empty() && std::filesystem::exists(std::filesystem::path(folder) / "initdb"))
      return true;
  return false;
}

void PostgresServer::create(const std::filesystem::path& dir, PostgresOptions options) {
  if (std::filesystem::exists(dir)) destroy(dir);
  std::filesystem::create_directories(dir);
  hand_over(dir);
  auto log = dir / "ctl.log";
  must(run_server_program({program("initdb"), "-D", (dir / "data").string(), "-U", "recrypt",
                           "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"},
                          log),
       "initdb", log);
  pg_ctl_start(dir, options);
}

void PostgresServer::destroy(const std::filesystem::path& dir) {
  stop_by_pid_file(dir);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

PostgresServer PostgresServer::start_new(PostgresOptions options) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rpg-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  create(tmpl, options);
  return PostgresServer(tmpl, true, options);
}

PostgresServer PostgresServer::attach(const std::filesystem::path& dir) {
  if (!std::filesystem::exists(dir / "data" / "postmaster.pid"))
    throw std::runtime_error("no PostgreSQL cluster runs in " + dir.string());
  return PostgresServer(dir, false, {});
}

PostgresServer::PostgresServer(PostgresServer&& other) noexcept
    : dir_(std::move(other.dir_)), owned_(other.owned_), options_(other.options_) {
  other.owned_ = false;
}

PostgresServer::~PostgresServer() {
  if (owned_) destroy(dir_);
}

std::string PostgresServer::url(const std::string& db) const {
  return "postgresql://recrypt@/" + db + "?host=" + dir_.string() + "&port=" + kPort;
}

void PostgresServer::run_sql(const std::string& db, const std::string& sql) const {
  std::string tmpl = (std::filesystem::temp_directory_path() / "rpg-sql-XXXXXX").string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  ChildOptions options;
  options.in = Redirect::null();
  options.out = Redirect::file(tmpl);
  options.err = Redirect::to_stdout();
  ChildProcess p({program("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url(db), "-c", sql},
                 options);
  int status = p.wait();
  std::string out = read_file(tmpl);
  std::filesystem::remove(tmpl);
  if (!ChildProcess::succeeded(status)) throw std::runtime_error("psql: " + out);
}

std::string PostgresServer::create_database() {
  static std::atomic<int> counter{0};
  std::string name = "r" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  run_sql("postgres", "CREATE DATABASE " + name);
  return name;
}

void PostgresServer::stop() {
  auto log = dir_ / "ctl.log";
  must(run_server_program(
           {program("pg_ctl"), "-D", (dir_ / "data").string(), "-w", "-m", "fast", "stop"}, log),
       "pg_ctl stop", log);
}

void PostgresServer::start() { pg_ctl_start(dir_, options_); }

pid_t PostgresServer::pid() const { return pid_from_file(dir_); }

void PostgresServer::restart() {
  stop();
  start();
}

}  // namespace recrypt::test
