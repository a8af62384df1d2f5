#include "service/key_vault.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/atomic_file.hpp"
#include "base/error.hpp"
#include "protocol/ossl.hpp"
#include "protocol/primitives.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {

namespace {
// The additional data of the check value: no row's context (group|member|key) reads like it.
constexpr std::string_view kCheckContext = "recryptd service key check";
}  // namespace

void KeyVault::SecureFree::operator()(std::uint8_t* p) const noexcept {
  OPENSSL_secure_clear_free(p, kAes256KeySize);
}

ByteView KeyVault::key() const noexcept { return ByteView(key_.get(), kAes256KeySize); }

bool KeyVault::key_in_secure_heap() const noexcept {
  return CRYPTO_secure_allocated(key_.get()) == 1;
}

KeyVault KeyVault::open(const std::filesystem::path& key_file) {
  SecureKey key(static_cast<std::uint8_t*>(OPENSSL_secure_zalloc(kAes256KeySize)));
  ossl::check(key != nullptr, "OPENSSL_secure_zalloc");
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) {
    ossl::check(RAND_priv_bytes(key.get(), static_cast<int>(kAes256KeySize)) == 1,
                "RAND_priv_bytes");
    write_file_atomic(key_file, ByteView(key.get(), kAes256KeySize), 0600);
  }
  int fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail(Errc::io,
         "cannot open service key file " + key_file.string() + ": " + std::strerror(errno));
  struct stat st {};
  bool private_mode = ::fstat(fd, &st) == 0 && (st.st_mode & 077) == 0;
  // Read straight into the secure buffer; one byte more than a key tells a longer file apart.
  std::uint8_t extra = 0;
  std::size_t got = 0;
  bool read_failed = false;
  while (private_mode && got <= kAes256KeySize) {
    std::uint8_t* into = got < kAes256KeySize ? key.get() + got : &extra;
    std::size_t room = got < kAes256KeySize ? kAes256KeySize - got : 1;
    ssize_t n = ::read(fd, into, room);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      read_failed = n < 0;
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  secure_wipe(&extra, sizeof extra);
  if (!private_mode)
    fail(Errc::io,
         "service key file " + key_file.string() + " must not be readable by group or others");
  if (read_failed) fail(Errc::io, "cannot read service key file " + key_file.string());
  if (got != kAes256KeySize) fail(Errc::malformed, "service key file must hold 32 bytes");
  return KeyVault(std::move(key));
}

Bytes KeyVault::seal(ByteView plaintext, std::string_view context) const {
  Bytes out(kGcmNonceSize + plaintext.size() + kGcmTagSize);
  ossl::check(RAND_bytes(out.data(), static_cast<int>(kGcmNonceSize)) == 1, "RAND_bytes");
  Aes256Gcm gcm(key());
  auto tag = gcm.seal(ByteView(out).first(kGcmNonceSize), as_bytes(context), plaintext,
                      std::span(out).subspan(kGcmNonceSize, plaintext.size()));
  std::copy(tag.begin(), tag.end(), out.end() - kGcmTagSize);
  return out;
}

SecureBytes KeyVault::open(ByteView sealed, std::string_view context) const {
  if (sealed.size() < kGcmNonceSize + kGcmTagSize)
    refuse(status::kInternal, "stored recryption key is damaged");
  std::size_t n = sealed.size() - kGcmNonceSize - kGcmTagSize;
  SecureBytes out(n);
  Aes256Gcm gcm(key());
  if (!gcm.open(sealed.first(kGcmNonceSize), as_bytes(context), sealed.subspan(kGcmNonceSize, n),
                sealed.last(kGcmTagSize), out))
    refuse(status::kInternal, "stored recryption key does not open with this service key");
  return out;
}

Bytes KeyVault::check_value() const { return seal({}, kCheckContext); }

bool KeyVault::matches(ByteView check_value) const {
  try {
    open(check_value, kCheckContext);
    return true;
  } catch (const ServiceError&) {
    return false;
  }
}

}  // namespace recrypt::service
