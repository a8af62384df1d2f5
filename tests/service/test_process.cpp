// recryptd as a process: TLS, refusing plain HTTP off loopback, clean shutdown.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>

#include <sqlite3.h>

#include <cstdlib>

#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

TEST(RecryptdProcessTest, CleanShutdownOnSigterm) {
  RecryptdProcess server;
  server.start();
  auto alice = make_person("alice@example.com");
  auto c = client_for(server.url(), *alice);
  c.publish_profile({alice->token()}, alice->profile_signer(), alice->id());
  server.stop();
  ASSERT_TRUE(WIFEXITED(server.last_exit_status()));
  EXPECT_EQ(WEXITSTATUS(server.last_exit_status()), 0);
  EXPECT_NE(server.log().find("clean shutdown"), std::string::npos);
  // A dead service is a clear error, not a hang.
  EXPECT_EQ(status_of([&] { c.hello(); }), 503);
}

// recryptd holds the key that opens every recryption key at rest: it can leave no core file.
// Its PR_SET_DUMPABLE 0 cannot be read from outside (and changes nothing visible to root, which
// runs these tests); its core size limit can, and the key sits in OpenSSL's secure heap.
TEST(RecryptdProcessTest, LeavesNoCoreFile) {
  RecryptdProcess server;
  server.start();
  std::ifstream limits("/proc/" + std::to_string(server.pid()) + "/limits");
  std::string line, core;
  while (std::getline(limits, line))
    if (line.rfind("Max core file size", 0) == 0) core = line;
  ASSERT_FALSE(core.empty());
  std::istringstream fields(core.substr(std::string("Max core file size").size()));
  std::string soft_limit, hard_limit;
  fields >> soft_limit >> hard_limit;
  EXPECT_EQ(soft_limit, "0") << core;
  EXPECT_EQ(hard_limit, "0") << core;
  EXPECT_EQ(server.log().find("no locked memory"), std::string::npos) << server.log();
}

TEST(RecryptdProcessTest, RefusesPlainHttpOffLoopback) {
  RecryptdProcess dir_only;
  std::string cmd = std::string(RECRYPTD_PATH) + " --listen 0.0.0.0:0 --db " +
                    (dir_only.dir() / "x.db").string() + " >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_NE(WEXITSTATUS(rc), 0);
}

// Clients sign for the audience their URL names, and no URL names 0.0.0.0: recryptd on a
// wildcard address must be told what clients call it.
TEST(RecryptdProcessTest, AWildcardAddressNeedsAnAudience) {
  RecryptdProcess dir_only;
  auto err = dir_only.dir() / "err";
  std::string cmd = std::string(RECRYPTD_PATH) + " --listen 0.0.0.0:0 --insecure --db " +
                    (dir_only.dir() / "x.db").string() + " >/dev/null 2>" + err.string();
  int rc = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(rc));
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("listening on 0.0.0.0 needs --audience"), std::string::npos) << text;
}

// A self-signed certificate for localhost and 127.0.0.1 in the server's folder: {cert, key},
// both empty when openssl failed.
std::pair<std::filesystem::path, std::filesystem::path> localhost_certificate(
    const RecryptdProcess& server) {
  auto cert = server.dir() / "cert.pem";
  auto key = server.dir() / "key.pem";
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "
      "/CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout " +
      key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  return {cert, key};
}

TEST(RecryptdProcessTest, ServesTls) {
  RecryptdProcess server;
  auto [cert, key] = localhost_certificate(server);
  ASSERT_FALSE(cert.empty());
  server.set_args({"--cert", cert.string(), "--key", key.string()});
  server.start();
  ASSERT_EQ(server.url().rfind("https://", 0), 0u);
  auto alice = make_person("alice@example.com");
  service::ClientOptions options;
  options.ca_file = cert.string();
  service::Client c(server.url(), server.url(), alice->profile_signer(), alice->id(), options);
  EXPECT_EQ(c.hello().audience, server.url());
  c.publish_profile({alice->token()}, alice->profile_signer(), alice->id());
  // Without trusting that certificate the client refuses the server.
  service::Client untrusting(server.url(), server.url(), alice->profile_signer(), alice->id());
  EXPECT_EQ(status_of([&] { untrusting.hello(); }), 503);
}

TEST(RecryptdProcessTest, ClientTimesOutOnASilentServer) {
  // A socket that listens and never answers: the client must give up at its deadline.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  service::ClientOptions options;
  options.timeout = std::chrono::milliseconds(300);
  service::Client c(url, url, jws::Signer{}, "", options);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(status_of([&] { c.hello(); }), 503);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  ::close(fd);
}

}  // namespace
}  // namespace recrypt::test

namespace recrypt::test {
namespace {

int user_version(const std::filesystem::path& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) != SQLITE_OK) return -1;
  sqlite3_stmt* st = nullptr;
  int v = -1;
  if (sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return v;
}

// recryptd closes a kept-alive connection that stays idle past --read-timeout-ms; over TLS the
// client then reads a truncated stream on its next request, and must send it again on a new
// connection instead of failing.
TEST(RecryptdProcessTest, TlsConnectionClosedWhileIdleIsReplaced) {
  RecryptdProcess server;
  auto [cert, key] = localhost_certificate(server);
  ASSERT_FALSE(cert.empty());
  server.set_args({"--cert", cert.string(), "--key", key.string(), "--read-timeout-ms", "200"});
  server.start();
  auto alice = make_person("alice@example.com");
  service::ClientOptions options;
  options.ca_file = cert.string();
  service::Client c(server.url(), server.url(), alice->profile_signer(), alice->id(), options);
  c.publish_profile({alice->token()}, alice->profile_signer(), alice->id());
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  service::GetProfileRequest by_account;
  by_account.account = "alice@example.com";
  EXPECT_EQ(service::verify_personal_profile(c.get_profile(by_account).profile).id(), alice->id());
}

TEST(RecryptdProcessTest, SchemaIsVersionedAndANewerOneIsRefused) {
  if (RecryptdProcess::on_postgres()) GTEST_SKIP() << "SQLite's user_version";
  RecryptdProcess server;
  server.start();
  server.stop();
  EXPECT_EQ(user_version(server.db()), 6);
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(server.db().c_str(), &h), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(h, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(h);
  EXPECT_THROW(server.start(), std::runtime_error);
  EXPECT_NE(server.log().find("newer"), std::string::npos);
}

// A version 2 database, as recryptd left it before membership chains, with a group profile
// that somebody published under a name no group had yet: version 3 drops that row and makes
// (type, name) unique, version 4 adds the administrators' packages, version 5 the groups'
// policies, and the hosted group keeps its members.
TEST(RecryptdProcessTest, VersionTwoMigratesAndLosesSquattedGroupProfiles) {
  if (RecryptdProcess::on_postgres()) GTEST_SKIP() << "a SQLite schema of version 2";
  RecryptdProcess server;
  server.start();
  server.stop();
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(server.db().c_str(), &h), SQLITE_OK);
  const char* downgrade = R"(
      DROP TABLE reviews;
      DROP INDEX audit_agreement;
      ALTER TABLE audit DROP COLUMN document;
      ALTER TABLE audit DROP COLUMN agreement;
      ALTER TABLE groups_ DROP COLUMN policy;
      DROP TABLE membership;
      ALTER TABLE member_keys DROP COLUMN admin_keys;
      ALTER TABLE groups_ DROP COLUMN chain_length;
      ALTER TABLE groups_ DROP COLUMN chain_head;
      DROP INDEX profiles_name;
      CREATE INDEX profiles_name ON profiles(type, name);
      INSERT INTO groups_(id, name, token, key_id, key_ids) VALUES('G1', 'hosted@example.com', 't', 'K', 'K');
      INSERT INTO profiles(id, type, name, token) VALUES('G1', 'group', 'hosted@example.com', 't');
      INSERT INTO profiles(id, type, name, token) VALUES('SQUAT', 'group', 'later@example.com', 't');
      INSERT INTO members(group_id, member_id, account, privileges, status) VALUES('G1', 'M', 'm@example.com', 7, 'ACTIVE');
      PRAGMA user_version = 2;)";
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(h, downgrade, nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_close(h);
  server.start();
  server.stop();
  EXPECT_EQ(user_version(server.db()), 6);
  ASSERT_EQ(sqlite3_open(server.db().c_str(), &h), SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    int n = -1;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
  };
  EXPECT_EQ(count("SELECT count(*) FROM profiles WHERE id = 'SQUAT'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM profiles WHERE id = 'G1'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM members WHERE group_id = 'G1'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM groups_ WHERE id = 'G1' AND policy = '{}'"), 1);
  EXPECT_EQ(count("SELECT chain_length FROM groups_ WHERE id = 'G1'"),
            0);  // migrated by its administrator
  EXPECT_NE(sqlite3_exec(h,
                         "INSERT INTO profiles(id, type, name, token) VALUES('G2', 'group', "
                         "'hosted@example.com', 't')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(h);
}

}  // namespace
}  // namespace recrypt::test

namespace recrypt::test {
namespace {

TEST(RecryptdProcessTest, APostgresSchemaNewerThanTheBinaryIsRefused) {
  if (!RecryptdProcess::on_postgres()) GTEST_SKIP() << "PostgreSQL's schema_version";
  RecryptdProcess server;
  server.start();
  EXPECT_THROW(server.edit_database("INSERT INTO schema_version VALUES (99)"), std::runtime_error);
  EXPECT_NE(server.log().find("database schema version 99 is newer than this recryptd"),
            std::string::npos)
      << server.log();
}

// Every recryptd of one database needs the one service key: a second key (here a key file
// lost, which recryptd replaces with a new key) would seal recryption keys no other instance
// could open, so recryptd refuses to start with it.
TEST(RecryptdProcessTest, AnotherServiceKeyIsRefusedOnASharedStore) {
  if (!RecryptdProcess::on_postgres()) GTEST_SKIP() << "SQLite keeps its key beside the database";
  RecryptdProcess a;
  a.start();
  a.stop();
  std::filesystem::remove(a.dir() / "service.key");
  EXPECT_THROW(a.start(), std::runtime_error);
  EXPECT_NE(a.log().find("the service key is not the one this database's recryption keys are "
                         "sealed with"),
            std::string::npos)
      << a.log();
}

// PostgreSQL restarts (an upgrade, a failover) under a running recryptd: while it is down,
// requests are answered 503, and once it is back recryptd serves again on new connections,
// without a restart of its own.
TEST(RecryptdProcessTest, ServesAgainAfterPostgresRestarts) {
  if (!RecryptdProcess::on_postgres()) GTEST_SKIP() << "an embedded store";
  PostgresServer cluster = PostgresServer::start_new();
  RecryptdProcess server({}, cluster);
  server.start();
  auto alice = make_person("alice@example.com");
  auto bob = make_person("bob@example.com");
  auto publish = [&](const TestPerson& p) {
    service::Client(server.url(), server.audience(), p.profile_signer(), p.id())
        .publish_profile({p.token()}, p.profile_signer(), p.id());
  };
  auto read = [&] {
    service::Client c(server.url(), server.audience(), alice->profile_signer(), alice->id());
    service::GetProfileRequest by_id;
    by_id.id = alice->id();
    return c.get_profile(by_id).profile;
  };
  publish(*alice);
  ASSERT_FALSE(read().empty());
  pid_t pid = server.pid();

  cluster.stop();
  EXPECT_EQ(outcome_of([&] { publish(*bob); }), "503 the store is unreachable");
  EXPECT_EQ(outcome_of([&] { read(); }), "503 the store is unreachable");

  cluster.start();
  EXPECT_EQ(outcome_of([&] { publish(*bob); }), "201 OK");
  EXPECT_FALSE(read().empty());
  EXPECT_EQ(server.pid(), pid);
  EXPECT_TRUE(server.running());
}

// Two recryptd started at once on an empty database: one migrates, the other waits for it
// (an advisory lock) and finds the schema made; both serve. Their service key is made before,
// as a deployment hands one key to every instance (two instances that each made a key at
// once would hold two keys, and one would be refused).
TEST(RecryptdProcessTest, TwoInstancesStartingTogetherMigrateOnce) {
  if (!RecryptdProcess::on_postgres()) GTEST_SKIP() << "a store of its own per recryptd";
  RecryptdProcess a;
  RecryptdProcess b({}, a);
  std::string make_key = "head -c 32 /dev/urandom > " + (a.dir() / "service.key").string() +
                         " && chmod 600 " + (a.dir() / "service.key").string();
  ASSERT_EQ(std::system(make_key.c_str()), 0);
  // What the other thread's start throws is rethrown here: escaping the thread, it would end
  // the test process and leave both servers running.
  std::exception_ptr failed;
  std::thread other([&] {
    try {
      b.start();
    } catch (...) {
      failed = std::current_exception();
    }
  });
  try {
    a.start();
  } catch (...) {
    other.join();
    throw;
  }
  other.join();
  if (failed) std::rethrow_exception(failed);
  ASSERT_TRUE(a.running());
  ASSERT_TRUE(b.running());
  a.edit_database(
      "DO $$ BEGIN IF (SELECT count(*) FROM schema_version) <> 2 THEN "
      "RAISE EXCEPTION 'migrated more than once'; END IF; END $$");
  auto alice = make_person("alice@example.com");
  service::Client(b.url(), b.audience(), alice->profile_signer(), alice->id())
      .publish_profile({alice->token()}, alice->profile_signer(), alice->id());
  service::Client(a.url(), a.audience(), alice->profile_signer(), alice->id()).hello();
}

}  // namespace
}  // namespace recrypt::test
