// The PKCS#11 backend's public face: its configuration, the factory, and the admin-side
// function that wraps a member share so that only one token can import it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "backend/backend.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::pkcs11 {

struct Pkcs11Config {
  // The PKCS#11 module to dlopen. Empty means p11-kit's proxy module (found at build time),
  // which loads every module in p11-kit's configuration.
  std::string module_path;
  // Which token: an RFC 7512 URI such as "pkcs11:token=alice". Tokens are always found by what
  // the URI says (label, serial, ...), never by slot number: SoftHSM2 and p11-kit renumber slots.
  std::string token_uri = "pkcs11:";
  // Host-side state. Nothing is kept there today (keys, shares and their markers all live on
  // the token, so a token moves between hosts); created 0700 when given.
  std::string data_dir;
  // How long a PIN stays cached and the token logged in after the last successful login.
  // Zero: ask for every operation that needs a login.
  std::chrono::seconds pin_cache_timeout{300};
  // When the token is not in the slot list, how often at most the module is finalised and
  // initialised again so that modules which list slots only at C_Initialize (p11-kit-proxy)
  // see a token plugged in later. Zero: on every miss.
  std::chrono::milliseconds rescan_interval{1000};
  // The label of the token key that seal() binds secrets to (made on first use).
  std::string seal_key_label = "recrypt-seal";
};

// The module path used when Pkcs11Config::module_path is empty.
std::string default_module_path();

std::unique_ptr<backend::Backend> make_pkcs11_backend(const Pkcs11Config& config,
                                                      backend::PinSource pins);

// Admin side, pure software: wraps `share` for the token that holds the ECDH key whose public
// point is `device_encryption_key`, in format "pkcs11-ecdh-aeskwp-v1" (docs/PKCS11.md).
backend::WrappedShare wrap_share_for_pkcs11(const Point& device_encryption_key,
                                            const Scalar& share);

// The fallback for tokens without AES-KEY-WRAP-PAD: the bare 32-byte scalar, format
// "raw-scalar-v1". Whoever passes it to import_share() sees the share in the clear.
backend::WrappedShare raw_share_for_pkcs11(const Scalar& share);

inline constexpr const char* kShareFormatKwp = "pkcs11-ecdh-aeskwp-v1";

// Admin side, pure software: `secret` (a group key, a group's signing key) sealed for the
// token that holds the ECDH key whose public point is `device_encryption_key`, in format
// "pkcs11-sealed-v1": a sealed blob (sealed_blob.hpp) that names no key id, only the point.
// That token's backend imports it (import_sealed) and opens it with unseal() like its own.
backend::WrappedShare wrap_secret_for_pkcs11(const Point& device_encryption_key,
                                             std::string_view label, ByteView secret);

inline constexpr std::string_view kSealedSecretFormat = "pkcs11-sealed-v1";

}  // namespace recrypt::pkcs11
