// Token resolution, sessions, login and the per-operation wrapper of the PKCS#11 backend, and
// the operations that use a key (ECDH, ECDSA, seal). Key management is in pkcs11_keys.cpp.
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "pkcs11/attributes.hpp"
#include "pkcs11/ck_error.hpp"
#include "pkcs11/pkcs11_backend_impl.hpp"
#include "pkcs11/sealed_blob.hpp"

namespace recrypt::pkcs11 {

using backend::BackendErrc;
using backend::BackendError;

std::string default_module_path() { return RECRYPT_P11KIT_PROXY; }

std::unique_ptr<backend::Backend> make_pkcs11_backend(const Pkcs11Config& config,
                                                      backend::PinSource pins) {
  return std::make_unique<Pkcs11Backend>(config, std::move(pins));
}

Pkcs11Backend::Pkcs11Backend(Pkcs11Config config, backend::PinSource pins)
    : config_(std::move(config)),
      pins_(std::move(pins)),
      module_(Module::load(config_.module_path.empty() ? default_module_path() : config_.module_path)),
      fn_(module_->fn()),
      selector_(config_.token_uri),
      pin_cache_(config_.pin_cache_timeout),
      generation_(module_->generation()) {
  if (!config_.data_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config_.data_dir, ec);
    if (ec || ::chmod(config_.data_dir.c_str(), 0700) != 0)
      throw BackendError(BackendErrc::permission, "cannot create data dir " + config_.data_dir);
  }
}

Pkcs11Backend::~Pkcs11Backend() {
  std::lock_guard lock(mu_);
  if (logged_in_ && session_) fn_->C_Logout(session_.handle());
  forget_session();
}

backend::Capabilities Pkcs11Backend::capabilities() const {
  backend::Capabilities c;
  c.full_point_ecdh = false;  // CKM_ECDH1_DERIVE with CKD_NULL yields only x
  c.resident_shares = true;
  c.sealing = true;
  c.needs_pin = true;
  return c;
}

void Pkcs11Backend::forget_session() noexcept {
  if (module_->generation() != generation_) {
    // C_Finalize already ended it; closing a stale handle could close someone else's.
    session_.abandon();
    generation_ = module_->generation();
  }
  session_.close();
  logged_in_ = false;
  handles_.clear();
}

void Pkcs11Backend::after_failure(CK_RV rv) noexcept {
  handles_.clear();  // cheap to find again; a stale handle could name another object
  if (rv_invalidates_session(rv)) {
    forget_session();
    slot_.reset();
  }
  if (rv_errc(rv) == BackendErrc::not_present) pin_cache_.evict();
}

void Pkcs11Backend::run(bool login, const std::function<void(Session&)>& op) {
  std::lock_guard lock(mu_);
  try {
    if (module_->generation() != generation_) forget_session();
    resolve_token();
    std::shared_lock use(module_->use_lock());
    if (module_->generation() != generation_)
      throw BackendError(BackendErrc::not_present, "the PKCS#11 module was reinitialised; try again");
    if (!session_) open_session();
    if (login) ensure_login();
    op(session_);
  } catch (const Pkcs11Error& e) {
    if (rv_errc(e.rv()) != BackendErrc::not_present && token_gone()) {
      // Modules report a token pulled out mid-operation in many ways (SoftHSM2: a vanished
      // object); what the user needs to hear is that the token is gone.
      after_failure(CKR_TOKEN_NOT_PRESENT);
      throw BackendError(BackendErrc::not_present,
                         "token '" + selector_.text() + "' was removed (" + e.what() + ")");
    }
    after_failure(e.rv());
    throw;
  } catch (const BackendError& e) {
    if (e.code() == BackendErrc::not_present) {
      forget_session();
      slot_.reset();
      pin_cache_.evict();
    }
    throw;
  }
}

bool Pkcs11Backend::token_gone() noexcept {
  if (!slot_) return true;
  CK_TOKEN_INFO info{};
  return fn_->C_GetTokenInfo(*slot_, &info) != CKR_OK || !selector_.matches(info);
}

bool Pkcs11Backend::find_token(bool refresh) {
  (void)refresh;
  CK_ULONG n = 0;
  check_rv("C_GetSlotList", fn_->C_GetSlotList(CK_TRUE, nullptr, &n));
  std::vector<CK_SLOT_ID> slots(n);
  if (n > 0) check_rv("C_GetSlotList", fn_->C_GetSlotList(CK_TRUE, slots.data(), &n));
  slots.resize(n);
  std::optional<CK_SLOT_ID> found;
  CK_TOKEN_INFO found_info{};
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info{};
    if (fn_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;  // pulled out while we looked
    if (!(info.flags & CKF_TOKEN_INITIALIZED) || !selector_.matches(info)) continue;
    if (found)
      throw BackendError(BackendErrc::device, "several tokens match '" + selector_.text() +
                                                  "'; add serial= to the token URI");
    found = slot;
    found_info = info;
  }
  if (!found) return false;
  slot_ = found;
  token_ = found_info;
  return true;
}

void Pkcs11Backend::resolve_token() {
  if (slot_ && session_) {
    // The fast path of every operation: the slot still has a token and our session on it is
    // alive. Both calls cost well under a microsecond; C_GetTokenInfo can cost as much as a
    // tenth of an ECDH (SoftHSM2 reads its token files), so it runs only when this fails and
    // when an operation fails (token_gone()). A card swapped in between invalidates our session.
    CK_SLOT_INFO si{};
    CK_SESSION_INFO ss{};
    if (fn_->C_GetSlotInfo(*slot_, &si) == CKR_OK && (si.flags & CKF_TOKEN_PRESENT) &&
        fn_->C_GetSessionInfo(session_.handle(), &ss) == CKR_OK && ss.slotID == *slot_)
      return;
    forget_session();
  }
  if (slot_) {
    CK_TOKEN_INFO info{};
    CK_RV rv = fn_->C_GetTokenInfo(*slot_, &info);
    if (rv == CKR_OK && selector_.matches(info)) {
      token_ = info;
      return;
    }
    forget_session();
    slot_.reset();
  }
  if (find_token(false)) return;
  // Some modules (p11-kit-proxy) list slots only at C_Initialize: start it again to see a
  // token plugged in since, at most once per rescan_interval so that a missing token does
  // not turn every call into a module restart.
  auto now = std::chrono::steady_clock::now();
  if (now - last_rescan_ >= config_.rescan_interval) {
    last_rescan_ = now;
    forget_session();
    module_->reinitialize();
    forget_session();
    if (find_token(true)) return;
  }
  pin_cache_.evict();
  throw BackendError(BackendErrc::not_present,
                     "no token matching '" + selector_.text() + "' is present");
}

void Pkcs11Backend::open_session() {
  session_ = Session(fn_, *slot_);
  logged_in_ = false;
  CK_SESSION_INFO info{};
  // Login state belongs to the token for the whole application: another session of this
  // process may have logged in already.
  if (fn_->C_GetSessionInfo(session_.handle(), &info) == CKR_OK &&
      (info.state == CKS_RW_USER_FUNCTIONS || info.state == CKS_RO_USER_FUNCTIONS))
    logged_in_ = pin_cache_.lease_valid();
}

void Pkcs11Backend::ensure_login() {
  if (!(token_.flags & CKF_LOGIN_REQUIRED)) return;
  if (logged_in_ && pin_cache_.lease_valid()) return;
  if (logged_in_) {
    // The lease ran out: log out so the token is not left unlocked past the PIN timeout.
    fn_->C_Logout(session_.handle());
    logged_in_ = false;
    pin_cache_.evict();
  }
  // Handles of private objects found under an earlier login are not valid across a logout.
  handles_.clear();
  login_user();
}

SecureString Pkcs11Backend::obtain_pin(const char* why) {
  if (const SecureString* cached = pin_cache_.get()) return *cached;
  backend::PinRequest req;
  req.backend = "pkcs11";
  req.description = std::string(why) + " for token '" + token_label(token_) + "'";
  req.error = last_pin_error_;
  if (token_.flags & CKF_USER_PIN_FINAL_TRY) req.tries_left = 1;
  std::optional<SecureString> pin = pins_ ? pins_(req) : std::nullopt;
  if (!pin) throw BackendError(BackendErrc::cancelled, "PIN entry cancelled");
  SecureString out(*pin);
  wipe(*pin);
  return out;
}

namespace {

// What the token's flags say about the tries left, for a message ("" when they say nothing).
std::string tries_note(CK_FLAGS flags) {
  if (flags & CKF_USER_PIN_LOCKED) return "; the PIN is now blocked";
  if (flags & CKF_USER_PIN_FINAL_TRY) return "; one try left before the PIN is blocked";
  if (flags & CKF_USER_PIN_COUNT_LOW) return "; few tries left before the PIN is blocked";
  return "";
}

}  // namespace

void Pkcs11Backend::login_user() {
  // Fresh flags: they say whether the PIN is blocked or on its last try.
  CK_TOKEN_INFO now{};
  if (fn_->C_GetTokenInfo(*slot_, &now) == CKR_OK) token_ = now;
  const std::string label = token_label(token_);
  if (token_.flags & CKF_USER_PIN_LOCKED) {
    pin_cache_.evict();
    throw BackendError(BackendErrc::locked, "the user PIN of token '" + label + "' is blocked");
  }
  CK_RV rv;
  SecureString pin;
  if (token_.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
    rv = fn_->C_Login(session_.handle(), CKU_USER, nullptr, 0);  // the reader's own PIN pad
  } else {
    pin = obtain_pin("PIN");
    rv = fn_->C_Login(session_.handle(), CKU_USER,
                      reinterpret_cast<CK_UTF8CHAR*>(pin.data()), static_cast<CK_ULONG>(pin.size()));
  }
  if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
    pin_cache_.put(pin);
    wipe(pin);
    logged_in_ = true;
    last_pin_error_.clear();
    return;
  }
  wipe(pin);
  // Never try the same PIN again: on a real card every wrong try counts towards the lock.
  pin_cache_.evict();
  CK_TOKEN_INFO after{};
  CK_FLAGS flags = fn_->C_GetTokenInfo(*slot_, &after) == CKR_OK ? after.flags : token_.flags;
  if (rv == CKR_PIN_INCORRECT) {
    last_pin_error_ = "wrong PIN" + tries_note(flags);
    if (flags & CKF_USER_PIN_LOCKED)
      throw BackendError(BackendErrc::locked, "wrong PIN for token '" + label + "'" + tries_note(flags));
    throw BackendError(BackendErrc::auth_failed, "wrong PIN for token '" + label + "'" + tries_note(flags));
  }
  if (rv == CKR_PIN_LOCKED) last_pin_error_ = "PIN blocked";
  throw_rv("C_Login to token '" + label + "'", rv);
}

void Pkcs11Backend::context_login() {
  SecureString pin = obtain_pin("PIN to use a key");
  CK_RV rv = fn_->C_Login(session_.handle(), CKU_CONTEXT_SPECIFIC,
                          reinterpret_cast<CK_UTF8CHAR*>(pin.data()), static_cast<CK_ULONG>(pin.size()));
  wipe(pin);
  if (rv != CKR_OK) pin_cache_.evict();
  check_rv("C_Login(context-specific)", rv);
}

bool Pkcs11Backend::present() noexcept {
  try {
    run(false, [](Session&) {});
    return true;
  } catch (...) {
    return false;
  }
}

Pkcs11Backend::KeyHandle Pkcs11Backend::private_key(Session& s, std::string_view key_id) {
  std::string id_str(key_id);
  if (auto it = handles_.find(id_str); it != handles_.end()) return it->second;
  std::optional<KeyRef> ref = parse_key_uri(key_id, token_);
  if (!ref)
    throw BackendError(BackendErrc::no_such_key, "'" + id_str + "' names no private key on token '" +
                                                     token_label(token_) + "'");
  Template t;
  t.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY);
  if (ref->label) t.add_bytes(CKA_LABEL, as_bytes(*ref->label));
  if (ref->id) t.add_bytes(CKA_ID, *ref->id);
  auto found = find_objects(fn_, s.handle(), t.data(), t.size());
  if (found.empty())
    throw BackendError(BackendErrc::no_such_key, "no key '" + id_str + "' on token '" + token_label(token_) + "'");
  if (found.size() > 1)
    throw BackendError(BackendErrc::no_such_key, "'" + id_str + "' matches " + std::to_string(found.size()) +
                                                     " keys; give its id= as well");
  KeyHandle h{found[0], get_bool(fn_, s.handle(), found[0], CKA_ALWAYS_AUTHENTICATE).value_or(false)};
  handles_.emplace(std::move(id_str), h);
  return h;
}

SecureBytes Pkcs11Backend::derive_x(Session& s, CK_OBJECT_HANDLE key, const Point& peer) {
  Bytes pub = peer.to_uncompressed();
  CK_ECDH1_DERIVE_PARAMS params{CKD_NULL, 0, nullptr, static_cast<CK_ULONG>(pub.size()), pub.data()};
  CK_MECHANISM mech{CKM_ECDH1_DERIVE, &params, sizeof params};
  const CK_ULONG len = peer.curve().coordinate_size();
  CK_OBJECT_CLASS klass = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_GENERIC_SECRET;
  CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
  CK_ULONG value_len = len;
  // A session object readable only so that we can take Z.x out of it once; destroyed below.
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &klass, sizeof klass},      {CKA_KEY_TYPE, &type, sizeof type},
      {CKA_TOKEN, &no, sizeof no},            {CKA_SENSITIVE, &no, sizeof no},
      {CKA_EXTRACTABLE, &yes, sizeof yes},    {CKA_VALUE_LEN, &value_len, sizeof value_len},
  };
  CK_OBJECT_HANDLE obj = CK_INVALID_HANDLE;
  check_rv("C_DeriveKey(ECDH1)", fn_->C_DeriveKey(s.handle(), &mech, key, tmpl, 6, &obj));
  ObjectGuard guard(s, obj);
  SecureBytes x(len);
  CK_ATTRIBUTE a{CKA_VALUE, x.data(), len};
  check_rv("C_GetAttributeValue(CKA_VALUE)", fn_->C_GetAttributeValue(s.handle(), obj, &a, 1));
  if (a.ulValueLen != len)
    throw BackendError(BackendErrc::device, "the token returned a shared secret of the wrong size");
  return x;
}

backend::EcdhResult Pkcs11Backend::ecdh(std::string_view key_id, const Point& peer) {
  backend::EcdhResult out;
  run(true, [&](Session& s) { out.x = derive_x(s, private_key(s, key_id).handle, peer); });
  return out;
}

Bytes Pkcs11Backend::sign_digest(std::string_view key_id, ByteView digest) {
  if (digest.size() != 32) fail(Errc::malformed, "sign_digest wants a 32-byte SHA-256 digest");
  Bytes sig(2 * Curve::p256().coordinate_size());
  run(true, [&](Session& s) {
    KeyHandle h = private_key(s, key_id);
    CK_MECHANISM mech{CKM_ECDSA, nullptr, 0};
    check_rv("C_SignInit(ECDSA)", fn_->C_SignInit(s.handle(), &mech, h.handle));
    if (h.always_authenticate) context_login();
    CK_ULONG len = static_cast<CK_ULONG>(sig.size());
    check_rv("C_Sign(ECDSA)", fn_->C_Sign(s.handle(), const_cast<std::uint8_t*>(digest.data()),
                                           static_cast<CK_ULONG>(digest.size()), sig.data(), &len));
    if (len != sig.size())
      throw BackendError(BackendErrc::device, "the token returned an ECDSA signature of the wrong size");
  });
  return sig;
}

Bytes Pkcs11Backend::seal(std::string_view label, ByteView secret) {
  std::optional<backend::KeyInfo> key;
  run(true, [&](Session& s) { key.emplace(seal_key(s)); });
  return seal_to_token_key(key->public_key, key->id, label, secret);
}

SecureBytes Pkcs11Backend::unseal(ByteView sealed_blob) {
  SealedBlob parsed = parse_sealed_blob(sealed_blob);
  SecureBytes z;
  run(true, [&](Session& s) { z = derive_x(s, private_key(s, parsed.key_uri).handle, parsed.ephemeral); });
  return open_sealed_blob(parsed, sealed_blob, z);
}

}  // namespace recrypt::pkcs11
