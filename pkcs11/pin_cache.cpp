#include "pkcs11/pin_cache.hpp"

namespace recrypt::pkcs11 {

const SecureString* PinCache::get() {
  if (!lease_valid()) evict();
  return pin_ ? &*pin_ : nullptr;
}

void PinCache::put(const SecureString& pin) {
  evict();
  expires_ = Clock::now() + timeout_;
  if (timeout_.count() > 0) pin_.emplace(pin);
}

void PinCache::evict() noexcept {
  // wipe() now rather than wait for the allocator: the buffer may be reused before it is freed.
  if (pin_) pin_->wipe();
  pin_.reset();
  expires_ = {};
}

bool PinCache::lease_valid() const noexcept { return Clock::now() < expires_; }

void PinCache::start_lease() { expires_ = Clock::now() + timeout_; }

}  // namespace recrypt::pkcs11
