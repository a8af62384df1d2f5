// The one interface every key store of the agent implements: software (`soft`), TPM 2.0
// (`tpm`) and PKCS#11 tokens (`pkcs11`). A private key never leaves its backend: there is no
// method that returns one. The agent addresses keys by the id the backend gave them.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "protocol/point.hpp"

namespace recrypt::backend {

enum class KeyPurpose {
  encryption,  // ECDH (device encryption keys, resident member shares)
  signing,     // ECDSA (request and profile signatures)
};

// What a user must give before a device key (encryption or signing) is used.
enum class KeyAuth {
  none,        // nothing: whoever reaches the agent uses the key (TPM keys with empty auth)
  pin,         // a PIN: the token's (PKCS#11 login) or the key's own (a TPM key's auth value)
  passphrase,  // the soft store's passphrase
  policy,      // a TPM policy (none made yet)
};
constexpr const char* key_auth_name(KeyAuth auth) {
  switch (auth) {
    case KeyAuth::none:
      return "none";
    case KeyAuth::pin:
      return "pin";
    case KeyAuth::passphrase:
      return "passphrase";
    case KeyAuth::policy:
      return "policy";
  }
  return "none";
}

struct KeyInfo {
  std::string id;     // backend-local, stable across restarts (file name, PKCS#11 URI, ...)
  std::string label;  // what the user called it
  KeyPurpose purpose = KeyPurpose::encryption;
  Point public_key;
  bool resident_share = false;  // an imported member share rather than a generated device key
  // What unlocks this key when it differs from the backend's default for new keys
  // (Capabilities::key_auth); unset: that default.
  std::optional<KeyAuth> auth{};
};

// x·T for a device key x and a peer point T. Secret: the caller wipes it (SecureBytes).
struct EcdhResult {
  SecureBytes x;                 // big-endian x-coordinate, always present
  std::optional<SecureBytes> y;  // present when the device returns the whole point (TPM, soft)
};

struct Capabilities {
  bool full_point_ecdh = false;  // ecdh() fills y
  bool resident_shares = false;  // import_share() works
  bool sealing = false;          // seal()/unseal() work
  bool needs_pin = false;        // operations may ask the PinSource
  // What unlocks the device keys it makes now (sealed secrets aside); KeyInfo::auth says it
  // per key where keys made earlier may differ.
  KeyAuth key_auth = KeyAuth::none;
};

// A member share wrapped so that only one backend instance can import it. `format` names the
// construction (each backend documents its own), `data` is opaque to everyone else.
struct WrappedShare {
  std::string format;
  SecureBytes data;  // wiping memory: kRawScalarShare is a share in the clear
};
// The share as a 32-byte big-endian scalar: every backend accepts it, and whoever hands it to
// import_share() has held the share in the clear (tests, and hosts that chose to).
inline constexpr std::string_view kRawScalarShare = "raw-scalar-v1";

// What the backend tells the user when it needs a PIN or passphrase.
struct PinRequest {
  std::string backend;      // "tpm", "pkcs11", "soft"
  std::string description;  // e.g. "PIN for token 'alice-yubikey'"
  std::string error;        // non-empty on a retry: why the last one failed
  std::optional<int> tries_left;
  // The device was removed since a PIN was last given for it: a PIN cached in front of the
  // backend must not answer for the device that came back (the backend forgot its own).
  bool after_removal = false;
};
// Returns the PIN, or nullopt when the user cancelled. The agent wires this to pinentry and its
// cache; tests wire it to a constant.
using PinSource = std::function<std::optional<SecureString>(const PinRequest&)>;

enum class BackendErrc {
  not_present,  // device or token not reachable now (unplugged, TPM down)
  no_such_key,  // id names no key of this backend
  auth_failed,  // wrong PIN or passphrase
  locked,       // PIN blocked or TPM in dictionary-attack lockout
  cancelled,    // the user cancelled the PIN prompt
  unsupported,  // this backend cannot do the operation
  permission,   // the OS refused access (e.g. /dev/tpmrm0 without group tss)
  device,       // any other device failure; message says what
};

std::string_view backend_errc_name(BackendErrc code) noexcept;

class BackendError : public std::runtime_error {
 public:
  BackendError(BackendErrc code, const std::string& message)
      : std::runtime_error(message), code_(code) {}
  BackendErrc code() const noexcept { return code_; }

 private:
  BackendErrc code_;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string_view name() const = 0;
  virtual Capabilities capabilities() const = 0;
  // Cheap check that the hardware answers now; never throws.
  virtual bool present() noexcept = 0;

  virtual KeyInfo generate_key(std::string_view label, KeyPurpose purpose) = 0;
  virtual std::vector<KeyInfo> list_keys() = 0;
  // An existing key made by other means (a card's own tool, an earlier profile) taken as a
  // device or profile key. `key` is an id list_keys() reports; backends may accept more
  // (PKCS#11: any key URI, or a PIV slot such as "9d"). The key must be able to do what
  // `purpose` needs: an encryption key proves it with one ECDH against its own public key.
  // no_such_key when nothing matches, unsupported when the key cannot serve the purpose.
  virtual KeyInfo adopt_key(std::string_view key, KeyPurpose purpose);

  // x·peer with the private key `key_id` (purpose encryption). `peer` is already validated.
  virtual EcdhResult ecdh(std::string_view key_id, const Point& peer) = 0;
  // ECDSA over a SHA-256 digest (P-256); returns the fixed-size raw r || s of JWS ES256.
  virtual Bytes sign_digest(std::string_view key_id, ByteView digest) = 0;

  // Binds a small secret (a group master key) to this backend: the blob is useless without the
  // device present and unlocked. The blob is safe to store on disk.
  virtual Bytes seal(std::string_view label, ByteView secret) = 0;
  virtual SecureBytes unseal(ByteView sealed_blob) = 0;
  // A secret sealed elsewhere for this backend (an administrator's group keys, sent to a
  // co-administrator's device in a form only that device opens), made into a blob unseal()
  // opens, without the secret being in the clear on this host. `wrapped.format` names the
  // construction (each backend documents its own). BackendErrc::unsupported by default: the
  // agent then sends the secret as a JWE to the device's encryption key.
  virtual Bytes import_sealed(std::string_view label, const WrappedShare& wrapped);

  // Makes a member share resident so that ecdh() runs on it. BackendErrc::unsupported where
  // the backend cannot; the agent then keeps the share in wrapped mode.
  virtual KeyInfo import_share(std::string_view label, const WrappedShare& share) = 0;

  // Forgets now every secret kept between operations: a cached PIN and the login it opened, an
  // unlocked store key, loaded keys and sessions. The next operation that needs one asks the
  // PinSource again. The agent calls it for `agent.lock`; how long a backend keeps them
  // otherwise is the agent's --cache-ttl, given to each backend at construction. Waits for an
  // operation in progress to end; never fails.
  virtual void lock() noexcept = 0;
};

}  // namespace recrypt::backend
