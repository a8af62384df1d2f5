// The PKCS#11 backend class. Internal: users go through make_pkcs11_backend().
#pragma once

#include <p11-kit/pkcs11.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "pkcs11/module.hpp"
#include "pkcs11/pin_cache.hpp"
#include "pkcs11/pkcs11_backend.hpp"
#include "pkcs11/session.hpp"
#include "pkcs11/token_uri.hpp"

namespace recrypt::pkcs11 {

// CKA_ID prefix of a resident member share imported by import_share(). Kept on the token
// rather than on the host so that list_keys() reports it on any machine the token moves to.
inline constexpr std::uint8_t kShareIdPrefix[4] = {'r', 'c', 's', '1'};

// A fresh CKA_ID: `prefix` then `random_bytes` random bytes.
Bytes random_key_id(ByteView prefix, std::size_t random_bytes);

class Pkcs11Backend final : public backend::Backend {
 public:
  Pkcs11Backend(Pkcs11Config config, backend::PinSource pins);
  ~Pkcs11Backend() override;

  std::string_view name() const override { return "pkcs11"; }
  backend::Capabilities capabilities() const override;
  bool present() noexcept override;

  backend::KeyInfo generate_key(std::string_view label, backend::KeyPurpose purpose) override;
  std::vector<backend::KeyInfo> list_keys() override;
  backend::EcdhResult ecdh(std::string_view key_id, const Point& peer) override;
  Bytes sign_digest(std::string_view key_id, ByteView digest) override;
  Bytes seal(std::string_view label, ByteView secret) override;
  SecureBytes unseal(ByteView sealed_blob) override;
  backend::KeyInfo import_share(std::string_view label, const backend::WrappedShare& share) override;

 private:
  struct KeyHandle {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    bool always_authenticate = false;  // PIV signing keys want a PIN per signature
  };

  // Runs `op` with a session on the configured token, logged in when `login`. Resolves the
  // token by URI first (every operation: tokens come and go), and drops cached sessions,
  // handles and, when the token is gone, the PIN on the way out of a failure.
  void run(bool login, const std::function<void(Session&)>& op);

  void resolve_token();           // fills slot_ and token_ or throws not_present
  bool find_token();              // one pass over C_GetSlotList(CK_TRUE)
  bool token_gone() noexcept;     // the configured token is no longer in slot_
  void confirm_token();           // throws not_present when token_gone()
  bool failed_for_removal(const backend::BackendError& e) noexcept;
  void open_session();
  void ensure_login();
  void login_user();
  void context_login();  // CKU_CONTEXT_SPECIFIC for keys with CKA_ALWAYS_AUTHENTICATE
  SecureString obtain_pin(const char* why);
  void forget_session() noexcept;  // close session, forget login and handles
  void after_failure(CK_RV rv) noexcept;
  void forget_after(const backend::BackendError& e) noexcept;
  void token_removed() noexcept;  // drop the session, the slot and the PIN

  // Key lookup and on-token operations; all take the live session.
  KeyHandle private_key(Session& s, std::string_view key_id);
  SecureBytes derive_x(Session& s, CK_OBJECT_HANDLE key, const Point& peer);
  backend::KeyInfo generate_in_session(Session& s, std::string_view label, backend::KeyPurpose purpose);
  std::optional<backend::KeyInfo> describe_key(Session& s, CK_OBJECT_HANDLE priv);
  std::optional<Point> public_point_of(Session& s, CK_OBJECT_HANDLE priv, const Bytes& id,
                                       const std::optional<std::string>& label);
  backend::KeyInfo seal_key(Session& s);
  CK_OBJECT_HANDLE private_key_for_point(Session& s, const Point& device_key);
  backend::KeyInfo import_kwp(Session& s, std::string_view label, ByteView data);
  backend::KeyInfo import_raw(Session& s, std::string_view label, ByteView data);
  backend::KeyInfo finish_import(Session& s, std::string_view label, CK_OBJECT_HANDLE priv,
                                 const Bytes& id, const Point& share_public);

  std::string key_uri(const std::optional<std::string>& label, const Bytes& id) const;

  Pkcs11Config config_;
  backend::PinSource pins_;
  std::shared_ptr<Module> module_;
  CK_FUNCTION_LIST* fn_;
  TokenSelector selector_;
  PinCache pin_cache_;
  std::string last_pin_error_;  // told to the PinSource on the next prompt
  bool removed_since_pin_ = false;  // PinRequest::after_removal on the next prompt

  std::mutex mu_;  // one operation at a time per backend: sessions are not shared by threads
  Session session_;
  std::uint64_t generation_ = 0;
  std::optional<CK_SLOT_ID> slot_;
  CK_TOKEN_INFO token_{};
  bool logged_in_ = false;
  std::unordered_map<std::string, KeyHandle> handles_;
  std::chrono::steady_clock::time_point last_rescan_{};
};

}  // namespace recrypt::pkcs11
