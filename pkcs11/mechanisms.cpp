#include "pkcs11/mechanisms.hpp"

#include <vector>

namespace recrypt::pkcs11 {
namespace {

// The P-256 size falls inside the mechanism's range. PKCS#11 gives EC sizes in bits, but some
// modules give bytes, and 0 means "not stated".
bool fits_p256(const CK_MECHANISM_INFO& info) {
  if (info.ulMaxKeySize == 0) return true;
  auto within = [&](CK_ULONG size) {
    return info.ulMinKeySize <= size && size <= info.ulMaxKeySize;
  };
  return within(256) || within(32);
}

bool offers(CK_FUNCTION_LIST* fn, CK_SLOT_ID slot, const std::vector<CK_MECHANISM_TYPE>& listed,
            CK_MECHANISM_TYPE mechanism, CK_FLAGS needed, bool sized) {
  bool found = false;
  for (CK_MECHANISM_TYPE m : listed) found = found || m == mechanism;
  if (!found) return false;
  CK_MECHANISM_INFO info{};
  // A module that lists a mechanism but will not describe it is taken at its word.
  if (fn->C_GetMechanismInfo(slot, mechanism, &info) != CKR_OK) return true;
  return (info.flags & needed) == needed && (!sized || fits_p256(info));
}

}  // namespace

std::optional<TokenMechanisms> read_mechanisms(CK_FUNCTION_LIST* fn, CK_SLOT_ID slot) {
  CK_ULONG n = 0;
  if (fn->C_GetMechanismList(slot, nullptr, &n) != CKR_OK) return std::nullopt;
  std::vector<CK_MECHANISM_TYPE> listed(n);
  if (n > 0 && fn->C_GetMechanismList(slot, listed.data(), &n) != CKR_OK) return std::nullopt;
  listed.resize(n);
  TokenMechanisms m;
  m.ec_key_pair_gen = offers(fn, slot, listed, CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR, true);
  m.ecdh = offers(fn, slot, listed, CKM_ECDH1_DERIVE, CKF_DERIVE, true);
  m.ecdsa = offers(fn, slot, listed, CKM_ECDSA, CKF_SIGN, true);
  m.aes_key_wrap_pad = offers(fn, slot, listed, CKM_AES_KEY_WRAP_PAD, CKF_UNWRAP, false);
  return m;
}

}  // namespace recrypt::pkcs11
