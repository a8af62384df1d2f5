#include "tpm/salted_session.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>
#include <utility>

#include "protocol/ossl.hpp"
#include "protocol/scalar.hpp"
#include "tpm/kdf.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_algs.hpp"
#include "tpm/templates.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {
namespace {

using backend::BackendErrc;

constexpr std::size_t kDigest = 32;
constexpr TPMA_SESSION kAttrs = TPMA_SESSION_CONTINUESESSION | TPMA_SESSION_ENCRYPT;

void be32(Bytes& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

ByteView view(const TPM2B_NONCE& n) { return {n.buffer, n.size}; }

TPM2B_NONCE fresh_nonce() {
  TPM2B_NONCE n{};
  n.size = kDigest;
  ossl::check(RAND_bytes(n.buffer, kDigest) == 1, "RAND_bytes");
  return n;
}

// TPMs may answer "busy, send it again" (TPM_RC_RETRY, _YIELDED, _TESTING). ESAPI resends
// by itself; on the SAPI path we do, a few times, before treating it as an error.
bool try_again(TSS2_RC rc) noexcept {
  const TSS2_RC base = tpm_rc_base(rc);
  return base == TPM2_RC_RETRY || base == TPM2_RC_YIELDED || base == TPM2_RC_TESTING;
}
constexpr int kAttempts = 5;

}  // namespace

KeyRef KeyRef::of(ESYS_CONTEXT* esys, ESYS_TR key) {
  KeyRef ref;
  check_rc("Esys_TR_GetTpmHandle", Esys_TR_GetTpmHandle(esys, key, &ref.tpm_handle));
  TPM2B_NAME* name = nullptr;
  check_rc("Esys_TR_GetName", Esys_TR_GetName(esys, key, &name));
  ref.name.assign(name->name, name->name + name->size);
  Esys_Free(name);
  return ref;
}

SaltedSession SaltedSession::start(ESYS_CONTEXT* esys, ESYS_TR salt_key, const Point& salt_public) {
  SaltedSession s;
  s.esys_ = esys;
  check_rc("Esys_GetSysContext", Esys_GetSysContext(esys, &s.sys_));
  TPM2_HANDLE tpm_key = 0;
  check_rc("Esys_TR_GetTpmHandle", Esys_TR_GetTpmHandle(esys, salt_key, &tpm_key));

  // Salt by one-pass ECDH (Part 1 §C.6.1): the TPM recomputes Z with its private key.
  const Scalar ephemeral = Scalar::random(salt_public.curve());
  const Point ephemeral_public = ephemeral.public_point();
  const SecureBytes z = salt_public.times(ephemeral).secret_x();
  const SecureBytes salt =
      kdfe_sha256(z, "SECRET", ephemeral_public.x_bytes(), salt_public.x_bytes(), kDigest * 8);
  const TPM2B_ENCRYPTED_SECRET encrypted_salt = ecc_encrypted_secret(ecc_point(ephemeral_public));

  const TPM2B_NONCE nonce_caller = fresh_nonce();
  const TPMT_SYM_DEF symmetric{
      .algorithm = TPM2_ALG_AES, .keyBits = {.aes = 128}, .mode = {.aes = TPM2_ALG_CFB}};
  TPMI_SH_AUTH_SESSION handle = 0;
  TPM2B_NONCE nonce_tpm{};
  TSS2_RC rc = TSS2_RC_SUCCESS;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    rc = Tss2_Sys_StartAuthSession(s.sys_, tpm_key, TPM2_RH_NULL, nullptr, &nonce_caller,
                                   &encrypted_salt, TPM2_SE_HMAC, &symmetric, TPM2_ALG_SHA256,
                                   &handle, &nonce_tpm, nullptr);
    if (!try_again(rc)) break;
  }
  check_rc("TPM2_StartAuthSession (salted)", rc);
  s.handle_ = handle;
  s.nonce_tpm_ = nonce_tpm;
  // Unbound session: sessionKey = KDFa(salt, "ATH", nonceTPM, nonceCaller).
  s.session_key_ = kdfa_sha256(salt, "ATH", view(nonce_tpm), view(nonce_caller), kDigest * 8);
  return s;
}

TPM2B_NONCE SaltedSession::send_zgen(const KeyRef& key, const TPM2B_ECC_POINT& in,
                                     const SecureBytes& hmac_key) {
  check_rc("TPM2_ECDH_ZGen (prepare)", Tss2_Sys_ECDH_ZGen_Prepare(sys_, key.tpm_handle, &in));

  // Command HMAC (Part 1 §19.6): over cpHash = H(commandCode || Name(key) || parameters), the
  // two nonces and the attributes, keyed by sessionKey || authValue.
  std::size_t cp_size = 0;
  const std::uint8_t* cp = nullptr;
  check_rc("Tss2_Sys_GetCpBuffer", Tss2_Sys_GetCpBuffer(sys_, &cp_size, &cp));
  Bytes cp_input;
  be32(cp_input, TPM2_CC_ECDH_ZGen);
  cp_input.insert(cp_input.end(), key.name.begin(), key.name.end());
  cp_input.insert(cp_input.end(), cp, cp + cp_size);
  const Bytes cp_hash = algs::sha256_of({cp_input});

  const TPM2B_NONCE nonce_caller = fresh_nonce();
  const std::uint8_t attrs = kAttrs;
  TSS2L_SYS_AUTH_COMMAND cmd{};
  cmd.count = 1;
  cmd.auths[0].sessionHandle = handle_;
  cmd.auths[0].nonce = nonce_caller;
  cmd.auths[0].sessionAttributes = attrs;
  algs::hmac_sha256(hmac_key, {cp_hash, view(nonce_caller), view(nonce_tpm_), ByteView(&attrs, 1)},
                    std::span(cmd.auths[0].hmac.buffer).first(kDigest));
  cmd.auths[0].hmac.size = kDigest;
  check_rc("Tss2_Sys_SetCmdAuths", Tss2_Sys_SetCmdAuths(sys_, &cmd));
  return nonce_caller;
}

SaltedSession::ZPoint SaltedSession::ecdh_zgen(const KeyRef& key, ByteView peer_x, ByteView peer_y,
                                               ByteView auth) {
  // An unbound session keys both HMACs with sessionKey || authValue (Part 1 §19.6.8, §19.6.16).
  SecureBytes hmac_key = session_key_;
  hmac_key.insert(hmac_key.end(), auth.begin(), auth.end());
  TPM2B_ECC_POINT in{};
  if (peer_x.size() > sizeof in.point.x.buffer || peer_y.size() > sizeof in.point.y.buffer)
    throw TpmError(BackendErrc::unsupported, "ECDH peer coordinate longer than a TPM takes", 0);
  in.point.x.size = static_cast<UINT16>(peer_x.size());
  in.point.y.size = static_cast<UINT16>(peer_y.size());
  std::memcpy(in.point.x.buffer, peer_x.data(), peer_x.size());
  std::memcpy(in.point.y.buffer, peer_y.data(), peer_y.size());
  TPM2B_NONCE nonce_caller{};
  TSS2_RC rc = TSS2_RC_SUCCESS;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    nonce_caller = send_zgen(key, in, hmac_key);
    rc = Tss2_Sys_Execute(sys_);
    if (!try_again(rc)) break;
  }
  check_rc("TPM2_ECDH_ZGen", rc);

  // Response HMAC over rpHash = H(responseCode || commandCode || encrypted parameters).
  TSS2L_SYS_AUTH_RESPONSE rsp{};
  check_rc("Tss2_Sys_GetRspAuths", Tss2_Sys_GetRspAuths(sys_, &rsp));
  std::size_t rp_size = 0;
  const std::uint8_t* rp = nullptr;
  check_rc("Tss2_Sys_GetRpBuffer", Tss2_Sys_GetRpBuffer(sys_, &rp_size, &rp));
  Bytes rp_input;
  be32(rp_input, TPM2_RC_SUCCESS);
  be32(rp_input, TPM2_CC_ECDH_ZGen);
  rp_input.insert(rp_input.end(), rp, rp + rp_size);
  const Bytes rp_hash = algs::sha256_of({rp_input});
  const TPMS_AUTH_RESPONSE& r = rsp.auths[0];
  const std::uint8_t rsp_attrs = r.sessionAttributes;
  const Bytes expected = algs::hmac_sha256(
      hmac_key, {rp_hash, view(r.nonce), view(nonce_caller), ByteView(&rsp_attrs, 1)});
  if (rsp.count != 1 || !constant_time_equal(expected, ByteView(r.hmac.buffer, r.hmac.size)))
    throw TpmError(BackendErrc::device,
                   "TPM: TPM2_ECDH_ZGen response failed its session HMAC (tampered bus, or a "
                   "session out of step)",
                   TSS2_ESYS_RC_RSP_AUTH_FAILED);
  nonce_tpm_ = r.nonce;

  // The response's first parameter (the point) came AES-128-CFB encrypted under
  // KDFa(sessionKey || authValue, "CFB", nonceTPM, nonceCaller): 16 bytes key then 16 bytes IV
  // (Part 1 §21.3).
  std::size_t enc_size = 0;
  const std::uint8_t* enc = nullptr;
  check_rc("Tss2_Sys_GetEncryptParam", Tss2_Sys_GetEncryptParam(sys_, &enc_size, &enc));
  const SecureBytes key_iv =
      kdfa_sha256(hmac_key, "CFB", view(nonce_tpm_), view(nonce_caller), 256);
  SecureBytes plain(enc_size);
  {
    ossl::CipherCtx ctx(ossl::check_ptr(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new"));
    int len = 0, fin = 0;
    ossl::check(EVP_DecryptInit_ex(ctx.get(), algs::aes128_cfb(), nullptr, key_iv.data(),
                                   key_iv.data() + 16) == 1 &&
                    EVP_DecryptUpdate(ctx.get(), plain.data(), &len, enc,
                                      static_cast<int>(enc_size)) == 1 &&
                    EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &fin) == 1,
                "AES-128-CFB (response parameter)");
  }
  check_rc("Tss2_Sys_SetEncryptParam", Tss2_Sys_SetEncryptParam(sys_, plain.size(), plain.data()));
  TPM2B_ECC_POINT out{};
  check_rc("TPM2_ECDH_ZGen (complete)", Tss2_Sys_ECDH_ZGen_Complete(sys_, &out));

  auto pad = [](const TPM2B_ECC_PARAMETER& p) {
    if (p.size > 32) throw TpmError(BackendErrc::device, "TPM returned an oversized coordinate", 0);
    SecureBytes v(32 - p.size, 0);
    v.insert(v.end(), p.buffer, p.buffer + p.size);
    return v;
  };
  ZPoint result{pad(out.point.x), pad(out.point.y)};
  OPENSSL_cleanse(&out, sizeof out);
  // The decrypted point also sits in SAPI's response buffer; overwrite it there.
  std::memset(plain.data(), 0, plain.size());
  Tss2_Sys_SetEncryptParam(sys_, plain.size(), plain.data());
  return result;
}

SaltedSession::SaltedSession(SaltedSession&& other) noexcept
    : esys_(other.esys_),
      sys_(other.sys_),
      handle_(std::exchange(other.handle_, 0)),
      session_key_(std::move(other.session_key_)),
      nonce_tpm_(other.nonce_tpm_) {}

SaltedSession& SaltedSession::operator=(SaltedSession&& other) noexcept {
  if (this != &other) {
    reset();
    esys_ = other.esys_;
    sys_ = other.sys_;
    handle_ = std::exchange(other.handle_, 0);
    session_key_ = std::move(other.session_key_);
    nonce_tpm_ = other.nonce_tpm_;
  }
  return *this;
}

void SaltedSession::reset() noexcept {
  if (handle_ != 0 && sys_ != nullptr) Tss2_Sys_FlushContext(sys_, handle_);
  abandon();
}

void SaltedSession::abandon() noexcept {
  handle_ = 0;
  session_key_.clear();
}

}  // namespace recrypt::tpm
