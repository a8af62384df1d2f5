#include "profile.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace piv {

namespace {

// The slots in the cards' own order; a slot's ordinal (1 for 9a ... 24 for 95) is its ykcs11
// CKA_ID, and the same number written as two decimal digits in hex (0x05 ... 0x09, 0x10 ...
// 0x19, 0x20 ... 0x24) is its OpenSC one.
constexpr unsigned char kPivSlots[] = {0x9a, 0x9c, 0x9d, 0x9e, 0x82, 0x83, 0x84, 0x85,
                                       0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d,
                                       0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95};

unsigned char id_of(const Profile& p, unsigned ordinal) {
  if (p.ykcs11()) return static_cast<unsigned char>(ordinal);
  return static_cast<unsigned char>((ordinal / 10) * 16 + ordinal % 10);
}

bool retired(const Slot& s) { return s.piv >= 0x82 && s.piv <= 0x95; }
int retired_number(const Slot& s) { return s.piv - 0x82 + 1; }  // 82 is "Retired Key 1"

// ykcs11 names a slot by its purpose; OpenSC by a short tag.
std::string purpose(const Profile& p, const Slot& s) {
  switch (s.piv) {
    case 0x9a:
      return p.ykcs11() ? "PIV Authentication" : "PIV AUTH";
    case 0x9c:
      return p.ykcs11() ? "Digital Signature" : "SIGN";
    case 0x9d:
      return p.ykcs11() ? "Key Management" : "KEY MAN";
    case 0x9e:
      return p.ykcs11() ? "Card Authentication" : "CARD AUTH";
    default:
      return (p.ykcs11() ? "Retired Key " : "Retired KEY MAN ") + std::to_string(retired_number(s));
  }
}

constexpr CK_FLAGS kEcFlags = CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS;

}  // namespace

Profile Profile::get() {
  Profile p;
  const char* f = std::getenv("RECRYPT_PIV_FLAVOUR");
  if (f != nullptr && std::strcmp(f, "opensc") == 0) p.flavour = Flavour::opensc;
  const char* e = std::getenv("RECRYPT_PIV_NO_ECDH");
  p.ecdh = e == nullptr || std::strcmp(e, "1") != 0;
  return p;
}

std::optional<Slot> slot_for_id(const Profile& p, unsigned char id) {
  for (unsigned i = 0; i < std::size(kPivSlots); ++i)
    if (id_of(p, i + 1) == id) return Slot{kPivSlots[i], id};
  return std::nullopt;
}

std::string private_label(const Profile& p, const Slot& s) {
  if (p.ykcs11()) return "Private key for " + purpose(p, s);
  return retired(s) ? purpose(p, s) : purpose(p, s) + " key";
}

std::string public_label(const Profile& p, const Slot& s) {
  if (p.ykcs11()) return "Public key for " + purpose(p, s);
  return retired(s) ? purpose(p, s) : purpose(p, s) + " pubkey";
}

// ykcs11's table says sign for every slot and derive for none (its C_DeriveKey never looks).
// OpenSC without a certificate's keyUsage: 9d and the retired slots derive only, the rest sign.
bool reports_sign(const Profile& p, const Slot& s) {
  return p.ykcs11() || !(s.piv == 0x9d || retired(s));
}
bool reports_derive(const Profile& p, const Slot& s) { return !reports_sign(p, s) && !p.ykcs11(); }
bool always_authenticate(const Slot& s) { return s.piv == 0x9c; }

std::vector<Mechanism> mechanisms(const Profile& p) {
  std::vector<Mechanism> out;
  auto add = [&out](CK_MECHANISM_TYPE type, CK_ULONG min, CK_ULONG max, CK_FLAGS flags) {
    out.push_back({type, CK_MECHANISM_INFO{min, max, flags}});
  };
  if (p.ykcs11()) {
    // ykcs11's static table (EC and digest part): every EC entry says CKF_EC_F_P too.
    constexpr CK_FLAGS ec = kEcFlags | CKF_EC_F_P | CKF_HW;
    add(CKM_EC_KEY_PAIR_GEN, 256, 384, ec | CKF_GENERATE_KEY_PAIR);
    for (CK_MECHANISM_TYPE m : {CKM_ECDSA, CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256,
                                CKM_ECDSA_SHA384, CKM_ECDSA_SHA512})
      add(m, 256, 384, ec | CKF_SIGN | CKF_VERIFY);
    if (p.ecdh) add(CKM_ECDH1_DERIVE, 256, 384, ec | CKF_DERIVE);
  } else {
    // OpenSC: the card's raw ECDSA, software-hash wrappers around it, both ECDH flavours.
    add(CKM_ECDSA, 256, 384, kEcFlags | CKF_HW | CKF_SIGN | CKF_VERIFY);
    for (CK_MECHANISM_TYPE m :
         {CKM_ECDSA_SHA1, CKM_ECDSA_SHA224, CKM_ECDSA_SHA256, CKM_ECDSA_SHA384, CKM_ECDSA_SHA512})
      add(m, 256, 384, CKF_SIGN | CKF_VERIFY);
    if (p.ecdh) {
      add(CKM_ECDH1_COFACTOR_DERIVE, 256, 384, kEcFlags | CKF_HW | CKF_DERIVE);
      add(CKM_ECDH1_DERIVE, 256, 384, kEcFlags | CKF_HW | CKF_DERIVE);
    }
  }
  for (CK_MECHANISM_TYPE m : {CKM_SHA_1, CKM_SHA224, CKM_SHA256, CKM_SHA384, CKM_SHA512})
    add(m, 0, 0, CKF_DIGEST);
  return out;
}

std::optional<CK_MECHANISM_INFO> mechanism_info(const Profile& p, CK_MECHANISM_TYPE type) {
  for (const Mechanism& m : mechanisms(p))
    if (m.type == type) return m.info;
  return std::nullopt;
}

PinRules pin_rules(const Profile& p) {
  if (p.ykcs11()) return {6, 8, 64, CKR_ARGUMENTS_BAD, true};
  return {4, 8, 8, CKR_PIN_LEN_RANGE, false};  // OpenSC never sets the max tries COUNT_LOW needs
}

namespace {

void put(CK_UTF8CHAR* field, size_t size, const std::string& text) {
  std::memset(field, ' ', size);
  std::memcpy(field, text.data(), std::min(size, text.size()));
}

std::string trimmed(const CK_UTF8CHAR* field, size_t size) {
  std::string s(reinterpret_cast<const char*>(field), size);
  s.erase(s.find_last_not_of(' ') + 1);
  return s;
}

}  // namespace

void describe_token(const Profile& p, CK_TOKEN_INFO& info) {
  PinRules rules = pin_rules(p);
  info.ulMinPinLen = rules.min_len;
  info.ulMaxPinLen = rules.reported_max;
  info.flags = CKF_LOGIN_REQUIRED | CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
  if (p.ykcs11()) {
    // A YubiKey's serial is a decimal number of up to ten digits: the low 32 bits of the
    // underlying token's hex serial, so two tokens still differ.
    std::string hex = trimmed(info.serialNumber, sizeof info.serialNumber);
    unsigned long serial =
        std::strtoul(hex.substr(hex.size() > 8 ? hex.size() - 8 : 0).c_str(), nullptr, 16);
    std::string decimal = std::to_string(serial);
    put(info.serialNumber, sizeof info.serialNumber, decimal);
    put(info.label, sizeof info.label, "YubiKey PIV #" + decimal);
    put(info.manufacturerID, sizeof info.manufacturerID, "Yubico (www.yubico.com)");
    put(info.model, sizeof info.model, "YubiKey YK5");
  } else {
    // OpenSC keeps the CHUID's serial (here the underlying one) and, with no certificate on the
    // card, the label PIV_II.
    put(info.label, sizeof info.label, "PIV_II");
    put(info.model, sizeof info.model, "PIV-II");
  }
}

}  // namespace piv
