// Group escrow files (agent/escrow.hpp) on arbitrary bytes, as `group.recover` takes them: parse,
// then open with a fixed recovery key (fuzz::token_key(), which the seeds are sealed to) so the
// fuzzer reaches the contents' checks: the group profile's signature, its signing key, the group
// keys it lists. A typed recovery's scrypt is not run here (a second a try would be all the
// fuzzer got); its parameters' bounds are parsed. Refusals are Error; anything else escaping is
// a bug.
#include <cstdlib>

#include "agent/escrow.hpp"
#include "base/error.hpp"
#include "fuzz/fixed_keys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    agent::EscrowFile file = agent::EscrowFile::parse(text);
    agent::EscrowSecrets secrets = agent::open_escrow(file, fuzz::token_key());
    if (secrets.keys.empty()) std::abort();  // open_escrow promised at least one group key
  } catch (const Error&) {
  }
  return 0;
}
