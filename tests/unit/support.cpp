#include "tests/unit/support.hpp"

#include <cstdlib>

namespace recrypt::test {

std::optional<Errc> error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return {};
}

std::mt19937_64& rng() {
  static std::mt19937_64 gen = [] {
    std::uint64_t seed = std::random_device{}();
    if (const char* s = std::getenv("RECRYPT_TEST_SEED")) seed = std::strtoull(s, nullptr, 10);
    std::printf("RECRYPT_TEST_SEED=%llu\n", static_cast<unsigned long long>(seed));
    return std::mt19937_64(seed);
  }();
  return gen;
}

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng()());
  return out;
}

}  // namespace recrypt::test
