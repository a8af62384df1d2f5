// The backend's long-lived salted HMAC session, driven through SAPI with our own session
// cryptography, for the hot path (ECDH_ZGen).
//
// Why not ESAPI's own sessions: tpm2-tss 3.2.1 (Debian 12) builds a fresh OpenSSL library
// context for every hash, HMAC and nonce of a session (fixed upstream later), which costs
// milliseconds of CPU per command and makes an encrypted ECDH several times slower than the
// TPM itself. The session protocol is small and fully specified (TPM 2.0 Part 1 §19-21), so
// we run it here with OpenSSL's default context and keep ESAPI for everything else.
#pragma once

#include <tss2/tss2_esys.h>
#include <tss2/tss2_sys.h>

#include "base/bytes.hpp"
#include "protocol/point.hpp"

namespace recrypt::tpm {

// What the session needs to authorise a command on a loaded key: its TPM handle and Name
// (the Name enters every command HMAC). Taken once when the key is loaded: asking ESAPI for
// a Name rehashes the public area each time.
struct KeyRef {
  TPM2_HANDLE tpm_handle = 0;
  Bytes name;
  static KeyRef of(ESYS_CONTEXT* esys, ESYS_TR key);
};

class SaltedSession {
 public:
  // Starts an HMAC session salted by ECDH to `salt_key` (a P-256 decrypt key in the TPM whose
  // public point is `salt_public`), AES-128-CFB parameter encryption, SHA-256.
  static SaltedSession start(ESYS_CONTEXT* esys, ESYS_TR salt_key, const Point& salt_public);

  // x·peer with `key` (an ECC decrypt key whose auth value is `auth`, empty for most keys),
  // authorised by this session, the result encrypted on the way back. The auth value only
  // keys the HMACs: it never travels. Returns 32-byte x and y. Throws TpmError.
  struct ZPoint {
    SecureBytes x, y;
  };
  ZPoint ecdh_zgen(const KeyRef& key, ByteView peer_x, ByteView peer_y, ByteView auth = {});

  SaltedSession(SaltedSession&& other) noexcept;
  SaltedSession& operator=(SaltedSession&& other) noexcept;
  SaltedSession(const SaltedSession&) = delete;
  SaltedSession& operator=(const SaltedSession&) = delete;
  ~SaltedSession() { reset(); }

  void reset() noexcept;    // flushes the session from the TPM
  void abandon() noexcept;  // forgets it (the TPM connection is gone)
  explicit operator bool() const noexcept { return handle_ != 0; }

 private:
  SaltedSession() = default;
  // Prepares the command and its authorisation; returns the caller nonce it used.
  TPM2B_NONCE send_zgen(const KeyRef& key, const TPM2B_ECC_POINT& in, const SecureBytes& hmac_key);
  ESYS_CONTEXT* esys_ = nullptr;
  TSS2_SYS_CONTEXT* sys_ = nullptr;
  TPMI_SH_AUTH_SESSION handle_ = 0;
  SecureBytes session_key_;
  TPM2B_NONCE nonce_tpm_{};
};

}  // namespace recrypt::tpm
