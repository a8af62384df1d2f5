// The PKCS#11 backend class. Internal: users go through make_pkcs11_backend().
#pragma once

#include <p11-kit/pkcs11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "pkcs11/pkcs11_backend.hpp"
#include "pkcs11/sealed_blob.hpp"
#include "pkcs11/session.hpp"
#include "pkcs11/token_link.hpp"
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
  // A key URI or a PIV slot name ("9d"); see Backend::adopt_key.
  backend::KeyInfo adopt_key(std::string_view key, backend::KeyPurpose purpose) override;
  backend::EcdhResult ecdh(std::string_view key_id, const Point& peer) override;
  Bytes sign_digest(std::string_view key_id, ByteView digest) override;
  Bytes seal(std::string_view label, ByteView secret) override;
  SecureBytes unseal(ByteView sealed_blob) override;
  // Format "pkcs11-sealed-v1" (wrap_secret_for_pkcs11): checks that this token holds the key
  // it is sealed to and returns the blob itself, which unseal() opens by that key's point.
  Bytes import_sealed(std::string_view label, const backend::WrappedShare& wrapped) override;
  backend::KeyInfo import_share(std::string_view label,
                                const backend::WrappedShare& share) override;
  // Logs out, closes the session and wipes the cached PIN.
  void lock() noexcept override { link_.lock(); }

 private:
  struct KeyHandle {
    CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
    bool always_authenticate = false;  // PIV signing keys want a PIN per signature
  };

  // Key lookup and on-token operations; all run inside link_.run() and take its session.
  KeyHandle private_key(Session& s, std::string_view key_id);
  SecureBytes derive_x(Session& s, CK_OBJECT_HANDLE key, const Point& peer);
  backend::KeyInfo generate_in_session(Session& s, std::string_view label,
                                       backend::KeyPurpose purpose);
  CK_OBJECT_HANDLE key_to_adopt(Session& s, std::string_view key);
  void destroy_objects_with_id(Session& s, const Bytes& id) noexcept;
  std::optional<backend::KeyInfo> describe_key(Session& s, CK_OBJECT_HANDLE priv);
  std::optional<Point> public_point_of(Session& s, CK_OBJECT_HANDLE priv, const Bytes& id,
                                       const std::optional<std::string>& label);
  backend::KeyInfo seal_key(Session& s);
  // The private key that can derive whose public key object has this point; nullopt if none.
  std::optional<CK_OBJECT_HANDLE> private_key_for_point(Session& s, const Point& device_key);
  // The token key a sealed blob names: by its key id, or by its point when it names none
  // (a secret sealed elsewhere, import_sealed).
  CK_OBJECT_HANDLE sealing_key(Session& s, const SealedBlob& blob);
  backend::KeyInfo import_kwp(Session& s, std::string_view label, ByteView data);
  backend::KeyInfo import_raw(Session& s, std::string_view label, ByteView data);
  backend::KeyInfo finish_import(Session& s, std::string_view label, CK_OBJECT_HANDLE priv,
                                 const Bytes& id, const Point& share_public);

  // Throws BackendError(unsupported) "token 'L' cannot <purpose>: its module lists no
  // <mechanism>" when the token's mechanism list lacks it; unknown lists pass.
  void require_mechanism(bool TokenMechanisms::*has, const char* mechanism,
                         std::string_view purpose) const;
  std::string key_uri(const std::optional<std::string>& label, const Bytes& id) const;

  Pkcs11Config config_;
  TokenLink link_;
  CK_FUNCTION_LIST* fn_;
  // Key handles by key id, valid while link_.handle_epoch() is handles_epoch_. Used only
  // inside link_.run(), which serialises operations.
  std::unordered_map<std::string, KeyHandle> handles_;
  std::uint64_t handles_epoch_ = 0;
};

}  // namespace recrypt::pkcs11
