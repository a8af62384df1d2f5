#include "pkcs11/pin_cache.hpp"

namespace recrypt::pkcs11 {

const SecureString* PinCache::get() {
  if (!lease_valid()) evict();
  return pin_ ? &*pin_ : nullptr;
}

void wipe(SecureString& s) noexcept {
  if (!s.empty()) secure_wipe(s.data(), s.size());
  s.clear();
}

void PinCache::put(const SecureString& pin) {
  evict();
  expires_ = Clock::now() + timeout_;
  if (timeout_.count() > 0) pin_.emplace(pin);
}

void PinCache::evict() noexcept {
  if (pin_) wipe(*pin_);
  pin_.reset();
  expires_ = {};
}

bool PinCache::lease_valid() const noexcept { return Clock::now() < expires_; }

void PinCache::start_lease() { expires_ = Clock::now() + timeout_; }

}  // namespace recrypt::pkcs11
