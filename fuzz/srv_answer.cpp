// parse_srv_answer on arbitrary DNS messages: records or Errc::malformed, and a record's
// target is a name libresolv could print.
#include <cstdlib>

#include "base/error.hpp"
#include "service/client/srv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  try {
    auto records = service::parse_srv_answer({data, size}, "_recrypt._tcp.example.test");
    for (const auto& r : records)
      if (r.target.empty()) std::abort();
  } catch (const Error& e) {
    if (e.code() != Errc::malformed) std::abort();
  }
  return 0;
}
