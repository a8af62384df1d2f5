// Memory the C API hands out: recrypt_agent_free() must wipe it without being told its size,
// so each block carries its size in front of it. Every block ends in a NUL past its size, so
// text needs no copy to become a C string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::client {

// `size` bytes (plus the NUL); throws std::bad_alloc.
std::uint8_t* c_alloc(std::size_t size);
// Wipes and frees a block from c_alloc; nullptr is ignored.
void c_free(void* p) noexcept;
char* c_alloc_copy(std::string_view text);

// A block being filled, freed (wiped) unless released to the caller.
class CBuffer {
 public:
  explicit CBuffer(ByteView data);
  ~CBuffer() { c_free(p_); }
  CBuffer(const CBuffer&) = delete;
  CBuffer& operator=(const CBuffer&) = delete;
  std::uint8_t* release() noexcept {
    std::uint8_t* p = p_;
    p_ = nullptr;
    return p;
  }

 private:
  std::uint8_t* p_;
};

// Strings for several out-parameters of one call: each goes to its out-parameter only once
// all were made (hand_over), so a failure half-way leaves the caller nothing to free. An
// out-parameter the caller left NULL gets nothing; its string is freed.
class CStrings {
 public:
  CStrings() = default;
  ~CStrings();
  CStrings(const CStrings&) = delete;
  CStrings& operator=(const CStrings&) = delete;
  void add(char** out, char* value);
  void hand_over() noexcept;

 private:
  std::vector<std::pair<char**, char*>> items_;
};

}  // namespace recrypt::client
