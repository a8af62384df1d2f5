// The key slots of a PIV card (NIST SP 800-73) as the two PKCS#11 modules users reach them
// through show them: OpenSC's PIV driver and Yubico's ykcs11. Each names a slot's key by its
// own fixed label and a one-byte CKA_ID, and neither lets us choose either. The backend uses
// this table to adopt the key in a slot by the slot's name ("9d") and to tell a key-management
// key (ECDH) from a signing one, which ykcs11 does not say: it reports CKA_DERIVE false for
// every key and does ECDH with any of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace recrypt::pkcs11 {

struct PivSlot {
  std::string name;          // "9a", "9c", "9d", "9e", "82" ... "95"
  std::uint8_t ykcs11_id;    // ykcs11's CKA_ID: 1 ... 24 in slot order
  std::uint8_t opensc_id;    // OpenSC's CKA_ID: 01-04, then 05-09, 10-19, 20-24 for 82-95
  std::string ykcs11_label;  // "Private key for Key Management"
  std::string opensc_label;  // "KEY MAN key"
  bool key_management;       // 9d and the retired slots 82-95: meant for key agreement
};

// The slot called `name` (case-insensitive), or nullopt when it names none.
std::optional<PivSlot> piv_slot_named(std::string_view name);
// The slot whose private key either module labels `label`, or nullopt.
std::optional<PivSlot> piv_slot_of_label(std::string_view label);

}  // namespace recrypt::pkcs11
