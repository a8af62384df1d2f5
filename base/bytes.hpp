// Byte containers shared by every layer: plain bytes, a read-only view, and a buffer that
// wipes itself when it gives memory back (for keys, shares, passphrases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
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
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

void secure_wipe(void* p, std::size_t n) noexcept;
// Wipes `n` bytes at `p`, then gives them back to operator delete: the one way wiping
// containers release memory.
void secure_free(void* p, std::size_t n) noexcept;

// For tests only: called by secure_free() with each region after it is wiped and before it is
// freed, so a test can check what a container left behind without reading freed memory.
using FreedRegionObserver = void (*)(const void* p, std::size_t n);
void set_freed_region_observer(FreedRegionObserver observer) noexcept;

template <class T>
void WipingAllocator<T>::deallocate(T* p, std::size_t n) noexcept {
  secure_free(p, n * sizeof(T));
}

using SecureBytes = std::vector<std::uint8_t, WipingAllocator<std::uint8_t>>;

using SecureStringBase = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;

// Text that is secret: PINs, passphrases, agent answers that carry keys. A std::basic_string
// keeps short values (up to 15 characters with libstdc++, every usual PIN) inside the object,
// where no allocator sees them. So every constructor and assignment here puts the characters
// in the wiping heap buffer before writing any, moves exchange heap buffers, shrink_to_fit()
// never goes back inside the object, and the destructor wipes the in-object buffer whenever a
// base-class operation did use it.
class SecureString : public SecureStringBase {
 public:
  using Base = SecureStringBase;
  // Above the in-object capacity of libstdc++ (15) and libc++ (22).
  static constexpr size_type kHeapFloor = 32;

  SecureString() { Base::reserve(kHeapFloor); }
  SecureString(const char* s) : SecureString(std::string_view(s)) {}  // NOLINT: as std::string
  SecureString(const char* s, size_type n) : SecureString(std::string_view(s, n)) {}
  SecureString(size_type n, char c) : SecureString() { Base::assign(n, c); }
  template <class It>
  requires(!std::is_integral_v<It>) SecureString(It first, It last) : SecureString() {
    Base::assign(first, last);
  }
  template <class T>
  requires(std::is_convertible_v<const T&, std::string_view> &&
           !std::is_convertible_v<const T&, const char*>) explicit SecureString(const T& text)
      : SecureString() {
    std::string_view v(text);
    Base::reserve(v.size());
    Base::assign(v.data(), v.size());
  }
  // What base-class operations return (e.g. operator+): copied, and left for the caller's
  // temporary to free. Prefer the members below, which never make one.
  SecureString(const Base& other) : SecureString(std::string_view(other)) {}  // NOLINT
  SecureString(const SecureString& other) : SecureString(std::string_view(other)) {}
  SecureString(SecureString&& other) : SecureString() { take(other); }
  ~SecureString() { wipe_in_object(); }

  SecureString& operator=(const SecureString& other) {
    if (this != &other) assign_view(other);
    return *this;
  }
  SecureString& operator=(SecureString&& other) {
    if (this != &other) take(other);
    return *this;
  }
  SecureString& operator=(std::string_view text) { return assign_view(text); }
  SecureString& operator=(const char* text) { return assign_view(text); }

  SecureString substr(size_type pos = 0, size_type n = npos) const {
    return SecureString(std::string_view(*this).substr(pos, n));
  }
  void shrink_to_fit() noexcept {}
  // Overwrites the characters and empties the string, keeping its (heap) buffer.
  void wipe() noexcept {
    if (!Base::empty()) secure_wipe(Base::data(), Base::size());
    Base::clear();
  }

 private:
  bool in_object() const noexcept { return Base::capacity() <= Base().capacity(); }
  // A std::basic_string may only write within size(): grow to the capacity first (no
  // reallocation), so the whole in-object buffer is wiped.
  void wipe_in_object() noexcept {
    if (!in_object()) return;
    Base::resize(Base::capacity());
    wipe();
  }
  void ensure_heap() {
    if (!in_object()) return;
    wipe_in_object();
    Base::reserve(kHeapFloor);
  }
  SecureString& assign_view(std::string_view v) {
    ensure_heap();
    Base::assign(v.data(), v.size());
    return *this;
  }
  // Both on the heap: exchange buffers, so `other` keeps ours and wipes what it held.
  void take(SecureString& other) {
    ensure_heap();
    if (!other.in_object()) {
      wipe();
      Base::swap(other);
    } else {
      Base::assign(other.data(), other.size());
    }
    other.wipe();
  }
};

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
