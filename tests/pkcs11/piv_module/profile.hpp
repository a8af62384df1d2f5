// What a PIV card looks like through one real PKCS#11 module: its key slots and their CKA_IDs
// and labels, its mechanisms, its PIN rules and its token description. Data only; the module
// (module.cpp, objects.cpp, crypto.cpp) enforces it over SoftHSM2.
#pragma once

#include <p11-kit/pkcs11.h>

#include <optional>
#include <string>
#include <vector>

namespace piv {

enum class Flavour { ykcs11, opensc };

// The profile the environment asks for: RECRYPT_PIV_FLAVOUR = ykcs11 (default) | opensc;
// RECRYPT_PIV_NO_ECDH=1 for a card without ECDH. Read at every call, so that one test process
// can try both flavours.
struct Profile {
  Flavour flavour = Flavour::ykcs11;
  bool ecdh = true;
  static Profile get();
  bool ykcs11() const { return flavour == Flavour::ykcs11; }
};

// One of the 24 PIV key slots: 9a, 9c, 9d, 9e and the retired key-management slots 82..95.
struct Slot {
  unsigned char piv;  // the card's slot number, 0x9a ... 0x95
  unsigned char id;   // the one-byte CKA_ID the module gives its keys
};

// The slot whose keys carry `id` under the profile's numbering, if any.
std::optional<Slot> slot_for_id(const Profile& p, unsigned char id);
// The labels the module shows for a slot's private and public key.
std::string private_label(const Profile& p, const Slot& s);
std::string public_label(const Profile& p, const Slot& s);
// The label ykcs11 gives its ECDH result (OpenSC keeps the caller's).
constexpr const char* kYkcs11SecretLabel = "Generic secret key";

// Usage the module reports for a slot's private key.
bool reports_sign(const Profile& p, const Slot& s);
bool reports_derive(const Profile& p, const Slot& s);
bool always_authenticate(const Slot& s);  // 9c: a PIN for every signature, in both modules

// The mechanisms the module lists, with the info it gives for each.
struct Mechanism {
  CK_MECHANISM_TYPE type;
  CK_MECHANISM_INFO info;
};
std::vector<Mechanism> mechanisms(const Profile& p);
std::optional<CK_MECHANISM_INFO> mechanism_info(const Profile& p, CK_MECHANISM_TYPE type);

// The user PIN: its length limits, and the code a PIN outside them gets.
struct PinRules {
  CK_ULONG min_len;
  CK_ULONG max_len;       // for the length check
  CK_ULONG reported_max;  // ulMaxPinLen in the token info
  CK_RV wrong_length;
  bool reports_count_low;  // CKF_USER_PIN_COUNT_LOW after a failed try
};
PinRules pin_rules(const Profile& p);
constexpr unsigned long kPinTries = 3;  // the PIV default

// Rewrites the underlying token's description (label, model, serial, flags) as the module
// would describe the card.
void describe_token(const Profile& p, CK_TOKEN_INFO& info);

}  // namespace piv
