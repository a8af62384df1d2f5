// recryptd's PostgreSQL schema (docs/SERVICE.md §6), versioned in table schema_version.
#pragma once

#include "service/pg.hpp"

namespace recrypt::service {

// Brings the database's schema to this recryptd's version, each migration in a transaction
// of its own under an advisory lock, so that recryptd started together migrate once; refuses
// a database newer than this recryptd.
void migrate(pg::Connection& c);

}  // namespace recrypt::service
