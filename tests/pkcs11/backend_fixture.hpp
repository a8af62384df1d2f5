// Test helpers: a SoftHSM2 token with a backend on it, a PIN source that counts its calls,
// and software references (ECDH, ECDSA verification) to check the token against.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "pkcs11/pkcs11_backend.hpp"
#include "softhsm_fixture.hpp"

namespace recrypt::testing {

// A PinSource returning a fixed PIN (or nullopt) and counting how often it was asked.
struct CountingPins {
  std::optional<std::string> pin = SoftHsm::kUserPin;
  int calls = 0;
  backend::PinRequest last;
  backend::PinSource source() {
    return [this](const backend::PinRequest& req) -> std::optional<SecureString> {
      ++calls;
      last = req;
      if (!pin) return std::nullopt;
      return SecureString(pin->begin(), pin->end());
    };
  }
};

class TokenTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // A backend on token `label` through `module` (SoftHSM2's own module by default).
  std::unique_ptr<backend::Backend> make_backend(
      const std::string& label = "alice", const std::string& module = SoftHsm::module_path());
  pkcs11::Pkcs11Config config(const std::string& label, const std::string& module) const;

  SoftHsm hsm;
  CountingPins pins;
};

// Checks a raw r||s ES256 signature of `message` with OpenSSL's EVP_DigestVerify.
bool verify_es256(const Point& pub, ByteView message, ByteView raw_sig);
Bytes sha256(ByteView message);

template <class F>
backend::BackendErrc backend_error_code(F&& f) {
  try {
    f();
  } catch (const backend::BackendError& e) {
    return e.code();
  }
  ADD_FAILURE() << "no BackendError thrown";
  return backend::BackendErrc::device;
}

}  // namespace recrypt::testing
