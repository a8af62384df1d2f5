#include "pkcs11/piv_slots.hpp"

#include <cctype>
#include <vector>

namespace recrypt::pkcs11 {
namespace {

std::string hex2(unsigned v) {
  const char* digits = "0123456789abcdef";
  return {digits[(v >> 4) & 0xf], digits[v & 0xf]};
}

// OpenSC writes its CKA_IDs as hex text that reads like the decimal slot number: the retired
// slots 87-95 become 10-19 and 20-24, not 0a-18.
std::uint8_t opensc_id_for(unsigned n) { return static_cast<std::uint8_t>((n / 10) * 16 + n % 10); }

std::vector<PivSlot> build_table() {
  std::vector<PivSlot> t = {
      {"9a", 1, 1, "Private key for PIV Authentication", "PIV AUTH key", false},
      {"9c", 2, 2, "Private key for Digital Signature", "SIGN key", false},
      {"9d", 3, 3, "Private key for Key Management", "KEY MAN key", true},
      {"9e", 4, 4, "Private key for Card Authentication", "CARD AUTH key", false},
  };
  for (unsigned retired = 1; retired <= 20; ++retired) {
    const unsigned n = 4 + retired;  // position in slot order, 5 ... 24
    t.push_back(PivSlot{hex2(0x81 + retired), static_cast<std::uint8_t>(n), opensc_id_for(n),
                        "Private key for Retired Key " + std::to_string(retired),
                        "Retired KEY MAN " + std::to_string(retired), true});
  }
  return t;
}

const std::vector<PivSlot>& table() {
  static const std::vector<PivSlot> t = build_table();
  return t;
}

}  // namespace

std::optional<PivSlot> piv_slot_named(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const PivSlot& s : table())
    if (s.name == lower) return s;
  return std::nullopt;
}

std::optional<PivSlot> piv_slot_of_label(std::string_view label) {
  for (const PivSlot& s : table())
    if (s.ykcs11_label == label || s.opensc_label == label) return s;
  return std::nullopt;
}

}  // namespace recrypt::pkcs11
