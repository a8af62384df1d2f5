// Shared pieces of the TPM tests: a fixture with a fresh swtpm and data directory per test,
// and small helpers. Everything runs against the real simulator; nothing is mocked.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>

#include "tests/tpm/swtpm_fixture.hpp"
#include "tpm/tpm_backend.hpp"

namespace recrypt::testing {

inline backend::PinSource constant_pin(std::string pin) {
  return [pin](const backend::PinRequest&) -> std::optional<SecureString> {
    return SecureString(pin.begin(), pin.end());
  };
}

class TpmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Swtpm::available()) GTEST_SKIP() << "swtpm is not installed";
    swtpm_ = std::make_unique<Swtpm>();
    data_ = std::make_unique<TempDir>("recrypt-tpmdata");
  }

  tpm::TpmConfig config() const {
    tpm::TpmConfig c;
    c.tcti = swtpm_->tcti();
    c.data_dir = data_->path();
    return c;
  }

  std::unique_ptr<tpm::TpmBackend> make_backend(backend::PinSource pins = constant_pin("1234")) {
    return std::make_unique<tpm::TpmBackend>(config(), std::move(pins));
  }

  std::unique_ptr<Swtpm> swtpm_;
  std::unique_ptr<TempDir> data_;
};

// Whether `sig` (raw r||s) is a valid ES256 signature of `message` by `key`: OpenSSL hashes
// the message itself (EVP_DigestVerify), so a digest mix-up on our side would show.
bool verify_es256(const Point& key, std::string_view message, ByteView sig);

Bytes sha256(std::string_view text);

// Expects `fn` to throw a BackendError with `code`; returns its message.
template <class F>
std::string expect_backend_error(backend::BackendErrc code, F&& fn) {
  try {
    fn();
  } catch (const backend::BackendError& e) {
    EXPECT_EQ(backend::backend_errc_name(e.code()), backend::backend_errc_name(code)) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "expected BackendError " << backend::backend_errc_name(code);
  return {};
}

}  // namespace recrypt::testing
