#include "service/key_vault.hpp"

#include <openssl/rand.h>
#include <sys/stat.h>

#include "base/atomic_file.hpp"
#include "protocol/error.hpp"
#include "protocol/ossl.hpp"
#include "protocol/primitives.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {

KeyVault KeyVault::open(const std::filesystem::path& key_file) {
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) {
    SecureBytes key(kAes256KeySize);
    ossl::check(RAND_priv_bytes(key.data(), static_cast<int>(key.size())) == 1, "RAND_priv_bytes");
    write_file_atomic(key_file, key, 0600);
  }
  struct stat st {};
  if (::stat(key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    fail(Errc::io, "service key file " + key_file.string() + " must not be readable by group or others");
  Bytes raw = read_file(key_file, 64);
  SecureBytes key = secure_copy(raw);
  secure_wipe(raw.data(), raw.size());
  if (key.size() != kAes256KeySize) fail(Errc::malformed, "service key file must hold 32 bytes");
  return KeyVault(std::move(key));
}

Bytes KeyVault::seal(ByteView plaintext, std::string_view context) const {
  Bytes out(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  ossl::check(RAND_bytes(out.data(), static_cast<int>(kGcmNonceSize)) == 1, "RAND_bytes");
  Aes256Gcm gcm(key_);
  auto tag = gcm.seal(ByteView(out).first(kGcmNonceSize), as_bytes(context), plaintext,
                      std::span(out).subspan(kGcmNonceSize, plaintext.size()));
  std::copy(tag.begin(), tag.end(), out.end() - kGcmTagSize);
  return out;
}

SecureBytes KeyVault::open(ByteView sealed, std::string_view context) const {
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) refuse(status::kInternal, "stored recryption key is damaged");
  std::size_t n = sealed.size() - kGcmNonceSize - kGcmTagSize;
  SecureBytes out(n);
  Aes256Gcm gcm(key_);
  if (!gcm.open(sealed.first(kGcmNonceSize), as_bytes(context), sealed.subspan(kGcmNonceSize, n),
                sealed.last(kGcmTagSize), out))
    refuse(status::kInternal, "stored recryption key does not open with this service key");
  return out;
}

}  // namespace recrypt::service
