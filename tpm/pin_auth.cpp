#include "tpm/pin_auth.hpp"

#include <cstring>

#include "tpm/ossl_algs.hpp"

namespace recrypt::tpm {

void auth_from_pin(const SecureString& pin, TPM2B_AUTH& auth) {
  constexpr std::size_t kDigest = 32;
  if (pin.size() <= kDigest) {
    auth.size = static_cast<UINT16>(pin.size());
    std::memcpy(auth.buffer, pin.data(), pin.size());
  } else {
    Bytes digest = algs::sha256_of({as_bytes(std::string_view(pin.data(), pin.size()))});
    auth.size = kDigest;
    std::memcpy(auth.buffer, digest.data(), kDigest);
    secure_wipe(digest.data(), digest.size());  // it opens the sealed object as well as the PIN
  }
  while (auth.size > 0 && auth.buffer[auth.size - 1] == 0) --auth.size;
}

}  // namespace recrypt::tpm
