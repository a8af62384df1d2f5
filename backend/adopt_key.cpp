// The default Backend::adopt_key: the key is one list_keys() reports, with the purpose asked.
#include "backend/backend.hpp"

namespace recrypt::backend {

namespace {

const char* purpose_name(KeyPurpose p) {
  return p == KeyPurpose::encryption ? "encryption" : "signing";
}

}  // namespace

KeyInfo Backend::adopt_key(std::string_view key, KeyPurpose purpose) {
  for (KeyInfo& k : list_keys()) {
    if (k.id != key) continue;
    if (k.resident_share)
      throw BackendError(BackendErrc::unsupported,
                         "key " + k.id + " is a member share, not a device key");
    if (k.purpose != purpose)
      throw BackendError(BackendErrc::unsupported, "key " + k.id + " is a " +
                                                       purpose_name(k.purpose) + " key, not a " +
                                                       purpose_name(purpose) + " key");
    return k;
  }
  throw BackendError(BackendErrc::no_such_key,
                     "backend " + std::string(name()) + " has no key " + std::string(key));
}

}  // namespace recrypt::backend
