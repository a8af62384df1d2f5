// pg_cluster start|stop DIR: the PostgreSQL cluster the tests of one ctest run share (the
// ctest fixture pg), so that each test makes a database in it instead of a cluster of its own.
#include <cstdio>
#include <cstring>
#include <exception>

#include "tests/service/postgres_server.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || (std::strcmp(argv[1], "start") != 0 && std::strcmp(argv[1], "stop") != 0)) {
    std::fprintf(stderr, "usage: pg_cluster start|stop DIR\n");
    return 2;
  }
  try {
    if (std::strcmp(argv[1], "start") == 0) {
      recrypt::test::PostgresServer::create(argv[2]);
    } else {
      recrypt::test::PostgresServer::destroy(argv[2]);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pg_cluster: %s\n", e.what());
    return 1;
  }
}
