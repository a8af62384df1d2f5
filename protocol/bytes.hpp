// Byte containers shared by every layer: plain bytes, a read-only view, and a buffer that
// wipes itself when it gives memory back (for keys, shares, passphrases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace recrypt {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Frees through OPENSSL_cleanse first, so every reallocation and the destructor wipe the old
// buffer. Memory is locked only where the process asks for it (the agent calls mlockall).
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept;
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept { return true; }
};

void secure_wipe(void* p, std::size_t n) noexcept;

template <class T>
void WipingAllocator<T>::deallocate(T* p, std::size_t n) noexcept {
  secure_wipe(p, n * sizeof(T));
  ::operator delete(p);
}

using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;
using SecureString = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline SecureBytes secure_copy(ByteView b) { return SecureBytes(b.begin(), b.end()); }
inline Bytes to_bytes(ByteView b) { return Bytes(b.begin(), b.end()); }

// Equal length and contents, in time that depends only on the length.
bool constant_time_equal(ByteView a, ByteView b) noexcept;

std::string to_hex(ByteView b);
Bytes from_hex(std::string_view hex);  // throws Error(malformed) on odd length or non-hex

}  // namespace recrypt
