#include "client/c_memory.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

namespace recrypt::client {
namespace {

// Keeps the caller's pointer aligned as malloc's are.
constexpr std::size_t kHeader = alignof(std::max_align_t);
static_assert(kHeader >= sizeof(std::size_t));

}  // namespace

std::uint8_t* c_alloc(std::size_t size) {
  if (size > SIZE_MAX - kHeader - 1) throw std::bad_alloc();
  auto* base = static_cast<std::uint8_t*>(std::malloc(kHeader + size + 1));
  if (base == nullptr) throw std::bad_alloc();
  std::memcpy(base, &size, sizeof size);
  base[kHeader + size] = 0;
  return base + kHeader;
}

void c_free(void* p) noexcept {
  if (p == nullptr) return;
  std::uint8_t* base = static_cast<std::uint8_t*>(p) - kHeader;
  std::size_t size = 0;
  std::memcpy(&size, base, sizeof size);
  secure_wipe(base, kHeader + size + 1);
  std::free(base);
}

char* c_alloc_copy(std::string_view text) {
  std::uint8_t* p = c_alloc(text.size());
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  return reinterpret_cast<char*>(p);
}

CBuffer::CBuffer(ByteView data) : p_(c_alloc(data.size())) {
  if (!data.empty()) std::memcpy(p_, data.data(), data.size());
}

CStrings::~CStrings() {
  for (auto& item : items_) c_free(item.second);
}

void CStrings::add(char** out, char* value) {
  try {
    items_.emplace_back(out, value);
  } catch (...) {
    c_free(value);
    throw;
  }
}

void CStrings::hand_over() noexcept {
  for (auto& [out, value] : items_) {
    if (out != nullptr) {
      *out = value;
      value = nullptr;
    }
  }
}

}  // namespace recrypt::client
