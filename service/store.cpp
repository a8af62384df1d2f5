// Which Store a --db value names.
#include <stdexcept>

#include "service/store.hpp"

namespace recrypt::service {

#ifdef RECRYPT_POSTGRESQL
std::unique_ptr<Store> open_postgres_store(const std::string& url);
#endif

bool is_postgres_url(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

std::unique_ptr<Store> open_store(const std::string& db) {
  if (!is_postgres_url(db)) return open_sqlite_store(db);
#ifdef RECRYPT_POSTGRESQL
  return open_postgres_store(db);
#else
  throw std::runtime_error("this recryptd is built without PostgreSQL (RECRYPT_POSTGRESQL)");
#endif
}

}  // namespace recrypt::service
