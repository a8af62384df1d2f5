#include "base/bytes.hpp"

#include <openssl/crypto.h>

#include <atomic>

#include "base/error.hpp"

namespace recrypt {

void secure_wipe(void* p, std::size_t n) noexcept {
  if (p != nullptr && n != 0) OPENSSL_cleanse(p, n);
}

namespace {
std::atomic<FreedRegionObserver> freed_region_observer{nullptr};
}  // namespace

void set_freed_region_observer(FreedRegionObserver observer) noexcept {
  freed_region_observer.store(observer);
}

void secure_free(void* p, std::size_t n) noexcept {
  secure_wipe(p, n);
  if (auto observer = freed_region_observer.load(std::memory_order_relaxed);
      observer && p != nullptr)
    observer(p, n);
  ::operator delete(p);
}

bool constant_time_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(ByteView b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (std::uint8_t v : b) {
    out.push_back(digits[v >> 4]);
    out.push_back(digits[v & 0x0f]);
  }
  return out;
}

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Bytes from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) fail(Errc::malformed, "hex string has an odd number of digits");
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      fail(Errc::malformed, "hex string has a character that is not a hex digit");
    out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace recrypt
