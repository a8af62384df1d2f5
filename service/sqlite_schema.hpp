// recryptd's SQLite schema (docs/SERVICE.md §6), versioned by PRAGMA user_version.
#pragma once

#include "service/sqlite.hpp"

namespace recrypt::service {

// Puts the database in WAL mode and brings its schema to this recryptd's version, each
// migration in a transaction of its own; refuses a database newer than this recryptd.
void migrate(sqlite::Connection& c);

}  // namespace recrypt::service
