// What a token can do, read once from its module (C_GetMechanismList / C_GetMechanismInfo)
// when the backend first finds it: which forms of device keys and shares it can hold. Tokens
// differ widely (a PIV card has no AES and makes no keys through PKCS#11; tpm2-pkcs11 1.9.0
// has no ECDH), and calling a mechanism a module does not list can fail in odd ways (some
// modules abort), so the backend asks first and says which mechanism is missing.
#pragma once

#include <p11-kit/pkcs11.h>

#include <optional>
#include <string>

namespace recrypt::pkcs11 {

struct TokenMechanisms {
  bool ec_key_pair_gen = false;   // CKM_EC_KEY_PAIR_GEN: device keys made on the token
  bool ecdh = false;              // CKM_ECDH1_DERIVE: what every device encryption key needs
  bool ecdsa = false;             // CKM_ECDSA: device and profile signing keys
  bool aes_key_wrap_pad = false;  // CKM_AES_KEY_WRAP_PAD (unwrap): resident member shares

  // Resident shares need both halves of the format: ECDH into an AES key, then KWP unwrap.
  bool resident_shares() const noexcept { return ecdh && aes_key_wrap_pad; }
};

// Reads the slot's mechanisms; nullopt when the module will not list them (then nothing is
// refused in advance and each operation reports what the token says).
std::optional<TokenMechanisms> read_mechanisms(CK_FUNCTION_LIST* fn, CK_SLOT_ID slot);

// For messages: "CKM_ECDH1_DERIVE" and its meaning.
inline constexpr const char* kNeedEcdh = "CKM_ECDH1_DERIVE (P-256 ECDH)";
inline constexpr const char* kNeedKeyGen = "CKM_EC_KEY_PAIR_GEN (P-256 key generation)";
inline constexpr const char* kNeedEcdsa = "CKM_ECDSA (P-256 signatures)";
inline constexpr const char* kNeedKwp = "CKM_AES_KEY_WRAP_PAD (unwrapping a member share)";

}  // namespace recrypt::pkcs11
