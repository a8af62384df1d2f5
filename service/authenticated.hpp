// A signed request after authenticate(): who signed it and what its audit record will say.
// Shared by the service's handlers (service.cpp, recrypt_batch.cpp).
#pragma once

#include <cstdint>

#include "protocol/service/service_error.hpp"
#include "service/service.hpp"
#include "service/transactions.hpp"

namespace recrypt::service {

struct Service::Authenticated {
  tx::Caller caller;
  tx::AuditNote note;
  // A success other than 201 OK: RecryptData's 202 while it waits for review.
  int status = status::kOk;
  // The store generation the signer (and RecryptData's plan) were read under; 0 for a request
  // signed by the key it carries (PublishProfile), which nothing read can make stale.
  std::uint64_t read_generation = 0;
};

}  // namespace recrypt::service
