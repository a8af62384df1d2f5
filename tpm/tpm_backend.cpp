#include "tpm/tpm_backend.hpp"

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>

#include "base/sigpipe_guard.hpp"
#include "tpm/connection.hpp"
#include "tpm/esys_memory.hpp"
#include "tpm/key_store.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_algs.hpp"
#include "tpm/pin_auth.hpp"
#include "tpm/templates.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {
namespace {

using backend::BackendErrc;
using backend::BackendError;
using backend::KeyInfo;
using backend::KeyPurpose;

constexpr std::size_t kCoord = 32;
constexpr int kNewPinAttempts = 3;       // a mistyped confirmation is asked again, this many times
constexpr std::size_t kMaxSealed = 128;  // MAX_SYM_DATA: the most a sealed object holds

template <class Buf>
Buf pad32(const TPM2B_ECC_PARAMETER& p) {
  if (p.size > kCoord)
    throw BackendError(BackendErrc::device, "TPM returned an oversized coordinate");
  Buf out(kCoord - p.size, 0);
  out.insert(out.end(), p.buffer, p.buffer + p.size);
  return out;
}

// Stable, short, and derived from the key itself: the same share imported twice is one key.
std::string key_id_for(const Point& p) {
  const Bytes digest = algs::sha256_of({p.to_uncompressed()});
  return to_hex(ByteView(digest).first(8));
}

const char* purpose_name(KeyPurpose p) {
  return p == KeyPurpose::signing ? "signing" : "encryption";
}

std::optional<backend::KeyAuth> auth_of(const KeyBlob& blob) {
  return blob.pin_auth ? backend::KeyAuth::pin : backend::KeyAuth::none;
}

std::string key_name(std::string_view label, std::string_view id) {
  return "'" + std::string(label) + "' (" + std::string(id) + ")";
}

}  // namespace

struct TpmBackend::Impl {
  Impl(TpmConfig c, backend::PinSource p)
      : config(std::move(c)),
        tcti(resolve_tcti(config.tcti)),
        pins(std::move(p)),
        store(config.data_dir) {}

  TpmConfig config;
  std::string tcti;
  backend::PinSource pins;
  KeyStore store;
  std::mutex mu;
  std::unique_ptr<Connection> conn;
  // Keys whose last PIN the TPM refused, and why. The next request for that key's PIN says
  // so: a person sees it at the prompt, and the agent does not give the same PIN from a file
  // again, which would spend another try of the dictionary-attack lockout.
  std::mutex refused_mu;
  std::map<std::string, std::string, std::less<>> refused_pins;

  Connection& connect() {
    if (!conn) conn = Connection::open(tcti, config.persistent_parent);
    return *conn;
  }

  void drop_connection(bool transport_lost) noexcept {
    if (!conn) return;
    if (transport_lost) conn->abandon();
    conn.reset();
  }

  // Runs one backend operation on a live connection. A lost transport drops the connection
  // (the next call reconnects) and reports the failure; a TPM that forgot our handles (it was
  // reset under us) gets one fresh connection and a second try.
  template <class F>
  auto run(F&& op) -> decltype(op(std::declval<Connection&>())) {
    std::lock_guard lock(mu);
    const SigpipeGuard no_sigpipe;
    for (int attempt = 0;; ++attempt) {
      Connection& c = connect();
      try {
        return op(c);
      } catch (const TpmError& e) {
        if (e.transport_lost()) {
          drop_connection(true);
          throw;
        }
        if (e.handles_lost() && attempt == 0) {
          drop_connection(true);
          continue;
        }
        throw;
      }
    }
  }

  KeyBlob read_key(std::string_view id) {
    auto data = store.read(id);
    if (!data) throw BackendError(BackendErrc::no_such_key, "no TPM key '" + std::string(id) + "'");
    return decode_key_blob(*data);
  }

  // Key `id`, loaded once and kept loaded.
  const CachedKey& loaded_key(Connection& c, std::string_view id, KeyPurpose purpose) {
    auto it = c.keys.find(id);
    if (it == c.keys.end()) {
      KeyBlob blob = read_key(id);
      require_purpose(id, blob.purpose, purpose);
      EsysObject handle(c.esys(), c.load(blob.priv, blob.pub));
      KeyRef ref = KeyRef::of(c.esys(), handle.get());
      it = c.keys
               .emplace(std::string(id), CachedKey{std::move(handle), blob.purpose, 0,
                                                   std::move(ref), blob.pin_auth})
               .first;
    }
    require_purpose(id, it->second.purpose, purpose);
    it->second.last_used = ++c.clock;
    return it->second;
  }

  static void require_purpose(std::string_view id, KeyPurpose have, KeyPurpose want) {
    if (have != want)
      throw BackendError(BackendErrc::unsupported, "TPM key '" + std::string(id) + "' is a " +
                                                       purpose_name(have) + " key, not a " +
                                                       purpose_name(want) + " key");
  }

  SecureString ask_pin(const std::string& description, std::optional<int> tries = std::nullopt,
                       const std::string& error = {}) {
    if (!pins) throw BackendError(BackendErrc::cancelled, "no PIN source configured");
    backend::PinRequest req{"tpm", description, error, tries};
    auto pin = pins(req);
    if (!pin) throw BackendError(BackendErrc::cancelled, "PIN entry cancelled");
    return std::move(*pin);
  }

  // The PIN for a new key, asked twice: a typo would lock the key away for good.
  SecureString new_key_pin(std::string_view label) {
    const std::string what = "TPM key '" + std::string(label) + "'";
    std::string error;
    for (int attempt = 0; attempt < kNewPinAttempts; ++attempt) {
      SecureString pin = ask_pin("New PIN for " + what, std::nullopt, error);
      if (pin.empty()) {
        error = "the PIN must not be empty";
        continue;
      }
      const SecureString again = ask_pin("Repeat the new PIN for " + what, std::nullopt, error);
      if (pin == again) return pin;
      error = "the two PINs differ";
    }
    throw BackendError(BackendErrc::cancelled, "no PIN set for " + what + ": " + error);
  }

  // The auth value of key `id` when it has a PIN: asked now, before any TPM lock is taken, so
  // a pinentry prompt holds up nobody. False (and `auth` untouched) for a key without one.
  bool key_pin_auth(std::string_view id, TPM2B_AUTH& auth) {
    const KeyBlob blob = read_key(id);
    if (!blob.pin_auth) return false;
    std::optional<int> tries;
    try {
      tries = run([](Connection& c) { return c.tries_left(); });
    } catch (const TpmError& e) {
      if (e.code() != BackendErrc::locked) throw;
      throw BackendError(BackendErrc::locked,
                         "TPM key " + key_name(blob.label, id) + " cannot be used: " + e.what());
    }
    std::string refused;
    {
      std::lock_guard guard(refused_mu);
      if (auto it = refused_pins.find(id); it != refused_pins.end()) refused = it->second;
    }
    const SecureString pin = ask_pin("PIN for TPM key " + key_name(blob.label, id), tries, refused);
    auth_from_pin(pin, auth);
    return true;
  }

  void pin_accepted(std::string_view id) {
    std::lock_guard guard(refused_mu);
    if (auto it = refused_pins.find(id); it != refused_pins.end()) refused_pins.erase(it);
  }

  // A TPM error from a command authorised with a key's PIN, told in the key's terms.
  [[noreturn]] void pin_refused(const TpmError& e, std::string_view id) {
    std::string label;
    try {
      label = read_key(id).label;
    } catch (const Error&) {
    }
    if (e.code() == BackendErrc::auth_failed) {
      {
        std::lock_guard guard(refused_mu);
        refused_pins.insert_or_assign(std::string(id), "the last PIN given for TPM key " +
                                                           key_name(label, id) + " was wrong");
      }
      std::string message = "wrong PIN for TPM key " + key_name(label, id) +
                            "; each wrong PIN counts towards the TPM's dictionary-attack lockout";
      try {
        if (auto left = run([](Connection& c) { return c.tries_left(); }))
          message += " (" + std::to_string(*left) + " tries left)";
      } catch (const BackendError&) {
        message += " (the TPM is now locked out)";
      }
      throw BackendError(BackendErrc::auth_failed, message);
    }
    if (e.code() == BackendErrc::locked)
      throw BackendError(BackendErrc::locked,
                         "TPM key " + key_name(label, id) + " cannot be used: " + e.what());
    throw;
  }

  KeyInfo import_duplicate(std::string_view label, const DuplicateBlob& dup) {
    const TPMT_PUBLIC& a = dup.pub.publicArea;
    if (a.type != TPM2_ALG_ECC || a.nameAlg != TPM2_ALG_SHA256 ||
        a.objectAttributes != kShareAttributes || a.authPolicy.size != 0 ||
        a.parameters.eccDetail.curveID != TPM2_ECC_NIST_P256 ||
        a.parameters.eccDetail.symmetric.algorithm != TPM2_ALG_NULL ||
        a.parameters.eccDetail.scheme.scheme != TPM2_ALG_NULL ||
        a.parameters.eccDetail.kdf.scheme != TPM2_ALG_NULL)
      fail(Errc::unsupported,
           "tpm2-duplicate-v1 share does not describe a P-256 decrypt-only share key");
    const Point point = point_from_public(dup.pub);
    return run([&](Connection& c) {
      EsysObject session = start_salted_session(c.esys(), c.parent.get());
      set_session_attributes(c.esys(), session.get(), {.decrypt = true, .encrypt = true});
      const TPM2B_DATA no_inner_key{};
      const TPMT_SYM_DEF_OBJECT no_inner{.algorithm = TPM2_ALG_NULL, .keyBits = {}, .mode = {}};
      TPM2B_PRIVATE* priv = nullptr;
      check_rc("TPM2_Import (member share)",
               Esys_Import(c.esys(), c.parent.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                           &no_inner_key, &dup.pub, &dup.duplicate, &dup.seed, &no_inner, &priv));
      KeyBlob blob{KeyPurpose::encryption, true, std::string(label), dup.pub, *own(priv), false};
      // Load now: a blob the TPM will not take fails here, not at the first decryption.
      const std::string id = key_id_for(point);
      c.keys.erase(id);
      EsysObject handle(c.esys(), c.load(blob.priv, blob.pub));
      store.write(id, encode_key_blob(blob));
      KeyRef ref = KeyRef::of(c.esys(), handle.get());
      c.keys.emplace(
          id, CachedKey{std::move(handle), KeyPurpose::encryption, ++c.clock, std::move(ref)});
      return KeyInfo{id,   std::string(label),    KeyPurpose::encryption, point,
                     true, backend::KeyAuth::none};
    });
  }
};

TpmBackend::TpmBackend(TpmConfig config, backend::PinSource pins)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(pins))) {}

TpmBackend::~TpmBackend() {
  const SigpipeGuard no_sigpipe;  // flushing talks to the TPM too
  impl_.reset();
}

backend::Capabilities TpmBackend::capabilities() const {
  return {.full_point_ecdh = true,
          .resident_shares = true,
          .sealing = true,
          .needs_pin = true,
          .key_auth = impl_->config.key_pin ? backend::KeyAuth::pin : backend::KeyAuth::none};
}

bool TpmBackend::present() noexcept {
  try {
    return impl_->run([](Connection& c) {
      TPMI_YES_NO more = TPM2_NO;
      TPMS_CAPABILITY_DATA* raw = nullptr;
      check_rc("TPM2_GetCapability",
               Esys_GetCapability(c.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                  TPM2_CAP_TPM_PROPERTIES, TPM2_PT_MANUFACTURER, 1, &more, &raw));
      own(raw);
      return true;
    });
  } catch (...) {
    return false;
  }
}

KeyInfo TpmBackend::generate_key(std::string_view label, KeyPurpose purpose) {
  const bool with_pin = impl_->config.key_pin;
  Wiped<TPM2B_SENSITIVE_CREATE> sensitive;
  if (with_pin) auth_from_pin(impl_->new_key_pin(label), sensitive.v.sensitive.userAuth);
  return impl_->run([&](Connection& c) {
    const TPM2B_PUBLIC tmpl = device_key_template(purpose, with_pin);
    const TPM2B_DATA outside{};
    const TPML_PCR_SELECTION pcrs{};
    // A PIN travels encrypted (the session's decrypt covers inSensitive); without one, a
    // password session is enough.
    std::optional<EsysObject> session;
    if (with_pin) {
      session.emplace(start_salted_session(c.esys(), c.parent.get()));
      set_session_attributes(c.esys(), session->get(), {.decrypt = true, .encrypt = false});
    }
    TPM2B_PRIVATE* priv = nullptr;
    TPM2B_PUBLIC* pub = nullptr;
    c.with_object_slot([&] {
      check_rc("TPM2_Create (device key)",
               Esys_Create(c.esys(), c.parent.get(), session ? session->get() : ESYS_TR_PASSWORD,
                           ESYS_TR_NONE, ESYS_TR_NONE, &sensitive.v, &tmpl, &outside, &pcrs, &priv,
                           &pub, nullptr, nullptr, nullptr));
    });
    auto priv_owned = own(priv);
    auto pub_owned = own(pub);
    KeyBlob blob{purpose, false, std::string(label), *pub_owned, *priv_owned, with_pin};
    Point point = point_from_public(blob.pub);
    const std::string id = key_id_for(point);
    impl_->store.write(id, encode_key_blob(blob));
    return KeyInfo{id, std::string(label), purpose, std::move(point), false, auth_of(blob)};
  });
}

std::vector<KeyInfo> TpmBackend::list_keys() {
  std::lock_guard lock(impl_->mu);
  std::vector<KeyInfo> out;
  for (const auto& id : impl_->store.ids()) {
    try {
      KeyBlob blob = impl_->read_key(id);
      out.push_back(KeyInfo{id, blob.label, blob.purpose, point_from_public(blob.pub),
                            blob.resident_share, auth_of(blob)});
    } catch (const Error&) {
      // A damaged file is not a key we can use; it stays on disk for inspection.
    }
  }
  return out;
}

backend::EcdhResult TpmBackend::ecdh(std::string_view key_id, const Point& peer) {
  if (peer.curve() != Curve::p256())
    throw BackendError(BackendErrc::unsupported, "the TPM backend does ECDH on P-256 only");
  const Bytes x = peer.x_bytes(), y = peer.y_bytes();
  Wiped<TPM2B_AUTH> auth;
  const bool with_pin = impl_->key_pin_auth(key_id, auth.v);
  try {
    auto result = impl_->run([&](Connection& c) {
      const CachedKey& key = impl_->loaded_key(c, key_id, KeyPurpose::encryption);
      try {
        auto z = c.salted_session().ecdh_zgen(key.ref, x, y, ByteView(auth.v.buffer, auth.v.size));
        return backend::EcdhResult{std::move(z.x), std::move(z.y)};
      } catch (const TpmError& e) {
        // A response that failed its HMAC, or a refused authorisation, leaves the session's
        // nonces in doubt: start afresh.
        if (e.rc() == TSS2_ESYS_RC_RSP_AUTH_FAILED || e.code() == BackendErrc::auth_failed ||
            e.code() == BackendErrc::locked)
          c.session.reset();
        throw;
      }
    });
    if (with_pin) impl_->pin_accepted(key_id);
    return result;
  } catch (const TpmError& e) {
    if (!with_pin) throw;
    impl_->pin_refused(e, key_id);
  }
}

Bytes TpmBackend::sign_digest(std::string_view key_id, ByteView digest) {
  if (digest.size() != 32) fail(Errc::malformed, "an ES256 digest is 32 bytes");
  TPM2B_DIGEST in{};
  in.size = 32;
  std::memcpy(in.buffer, digest.data(), digest.size());
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_ECDSA;
  scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
  // A NULL-hierarchy ticket: fine for an unrestricted key signing an external digest.
  TPMT_TK_HASHCHECK ticket{};
  ticket.tag = TPM2_ST_HASHCHECK;
  ticket.hierarchy = TPM2_RH_NULL;
  Wiped<TPM2B_AUTH> auth;
  const bool with_pin = impl_->key_pin_auth(key_id, auth.v);
  auto sign = [&](Connection& c) {
    const ESYS_TR key = impl_->loaded_key(c, key_id, KeyPurpose::signing).handle.get();
    TPMT_SIGNATURE* raw = nullptr;
    if (!with_pin) {
      // Neither the digest nor the signature is secret, and the key has no auth value: a
      // password session is enough (an HMAC session would only add ESAPI's per-command cost).
      check_rc("TPM2_Sign", Esys_Sign(c.esys(), key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                                      &in, &scheme, &ticket, &raw));
      return own(raw);
    }
    // A salted HMAC session proves the PIN without sending it; the auth value is set on the
    // handle for this command only, then cleared so that ESAPI's memory does not keep it.
    EsysObject session = start_salted_session(c.esys(), c.parent.get());
    check_rc("Esys_TR_SetAuth", Esys_TR_SetAuth(c.esys(), key, &auth.v));
    const TPM2B_AUTH empty{};
    const TSS2_RC rc = Esys_Sign(c.esys(), key, session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &in,
                                 &scheme, &ticket, &raw);
    Esys_TR_SetAuth(c.esys(), key, &empty);
    check_rc("TPM2_Sign", rc);
    return own(raw);
  };
  try {
    Bytes signature = impl_->run([&](Connection& c) {
      auto sig = sign(c);
      if (sig->sigAlg != TPM2_ALG_ECDSA)
        throw BackendError(BackendErrc::device, "TPM returned a signature that is not ECDSA");
      Bytes out = pad32<Bytes>(sig->signature.ecdsa.signatureR);
      const Bytes s = pad32<Bytes>(sig->signature.ecdsa.signatureS);
      out.insert(out.end(), s.begin(), s.end());
      return out;
    });
    if (with_pin) impl_->pin_accepted(key_id);
    return signature;
  } catch (const TpmError& e) {
    if (!with_pin) throw;
    impl_->pin_refused(e, key_id);
  }
}

Bytes TpmBackend::seal(std::string_view label, ByteView secret) {
  // An empty KEYEDHASH sensitive area means "TPM, make the data up" and needs other
  // attributes; a group key is never empty, so refuse it rather than seal something else.
  if (secret.empty() || secret.size() > kMaxSealed)
    throw BackendError(BackendErrc::unsupported, "a TPM seals between 1 and 128 bytes");
  const SecureString pin =
      impl_->ask_pin("PIN to protect the sealed secret '" + std::string(label) + "'");
  Wiped<TPM2B_SENSITIVE_CREATE> sensitive;
  auth_from_pin(pin, sensitive.v.sensitive.userAuth);
  sensitive.v.sensitive.data.size = static_cast<UINT16>(secret.size());
  std::memcpy(sensitive.v.sensitive.data.buffer, secret.data(), secret.size());
  return impl_->run([&](Connection& c) {
    const TPM2B_PUBLIC tmpl = sealed_object_template();
    const TPM2B_DATA outside{};
    const TPML_PCR_SELECTION pcrs{};
    // The PIN and the secret travel encrypted: the session's decrypt covers inSensitive.
    EsysObject session = start_salted_session(c.esys(), c.parent.get());
    set_session_attributes(c.esys(), session.get(), {.decrypt = true, .encrypt = true});
    TPM2B_PRIVATE* priv = nullptr;
    TPM2B_PUBLIC* pub = nullptr;
    c.with_object_slot([&] {
      check_rc("TPM2_Create (sealed object)",
               Esys_Create(c.esys(), c.parent.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                           &sensitive.v, &tmpl, &outside, &pcrs, &priv, &pub, nullptr, nullptr,
                           nullptr));
    });
    return encode_sealed_blob(SealedBlob{std::string(label), *own(pub), *own(priv)});
  });
}

SecureBytes TpmBackend::unseal(ByteView sealed_blob) {
  const SealedBlob blob = decode_sealed_blob(sealed_blob);
  const SecureString pin = impl_->ask_pin("PIN for the sealed secret '" + blob.label + "'",
                                          impl_->run([](Connection& c) { return c.tries_left(); }));
  Wiped<TPM2B_AUTH> auth;
  auth_from_pin(pin, auth.v);
  return impl_->run([&](Connection& c) {
    EsysObject object(c.esys(), c.load(blob.priv, blob.pub));
    check_rc("Esys_TR_SetAuth", Esys_TR_SetAuth(c.esys(), object.get(), &auth.v));
    // A session of its own: a wrong PIN must not disturb the shared one.
    EsysObject session = start_salted_session(c.esys(), c.parent.get());
    set_session_attributes(c.esys(), session.get(), {.decrypt = false, .encrypt = true});
    TPM2B_SENSITIVE_DATA* raw = nullptr;
    check_rc("TPM2_Unseal",
             Esys_Unseal(c.esys(), object.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE, &raw));
    auto data = own(raw);
    return SecureBytes(data->buffer, data->buffer + data->size);
  });
}

Bytes TpmBackend::import_sealed(std::string_view label, const backend::WrappedShare& wrapped) {
  if (wrapped.format != kDuplicateSealedFormat)
    throw BackendError(
        BackendErrc::unsupported,
        "the TPM backend cannot import a sealed secret in format '" + wrapped.format + "'");
  const DuplicateSealedBlob blob = decode_duplicate_sealed_blob(wrapped.data);
  if (blob.label != label)
    fail(Errc::malformed, "the sealed secret was wrapped as '" + blob.label + "', not as '" +
                              std::string(label) + "'");
  require_imported_sealed_public(blob.dup.pub);
  const SecureString pin =
      impl_->ask_pin("PIN to protect the sealed secret '" + std::string(label) + "'");
  Wiped<TPM2B_AUTH> auth;
  auth_from_pin(pin, auth.v);
  return impl_->run([&](Connection& c) {
    // The PIN travels encrypted (decrypt covers TPM2_ObjectChangeAuth's newAuth), and the
    // object's private parts come back encrypted.
    EsysObject session = start_salted_session(c.esys(), c.parent.get());
    set_session_attributes(c.esys(), session.get(), {.decrypt = true, .encrypt = true});
    const TPM2B_DATA no_inner_key{};
    const TPMT_SYM_DEF_OBJECT no_inner{.algorithm = TPM2_ALG_NULL, .keyBits = {}, .mode = {}};
    TPM2B_PRIVATE* imported = nullptr;
    check_rc("TPM2_Import (sealed secret)",
             Esys_Import(c.esys(), c.parent.get(), session.get(), ESYS_TR_NONE, ESYS_TR_NONE,
                         &no_inner_key, &blob.dup.pub, &blob.dup.duplicate, &blob.dup.seed,
                         &no_inner, &imported));
    const auto imported_owned = own(imported);
    // Under its empty auth value only long enough to be given the PIN; that copy of its
    // private part is dropped, never stored.
    EsysObject object(c.esys(), c.load(*imported_owned, blob.dup.pub));
    TPM2B_PRIVATE* with_pin = nullptr;
    check_rc("TPM2_ObjectChangeAuth (sealed secret)",
             Esys_ObjectChangeAuth(c.esys(), object.get(), c.parent.get(), session.get(),
                                   ESYS_TR_NONE, ESYS_TR_NONE, &auth.v, &with_pin));
    return encode_sealed_blob(SealedBlob{std::string(label), blob.dup.pub, *own(with_pin)});
  });
}

KeyInfo TpmBackend::import_share(std::string_view label, const backend::WrappedShare& share) {
  if (share.format == kDuplicateFormat)
    return impl_->import_duplicate(label, decode_duplicate_blob(share.data));
  if (share.format == backend::kRawScalarShare) {
    // Local import: wrap to our own parent and take the same path, so both formats end as the
    // same kind of key file.
    const Scalar x = Scalar::from_bytes(Curve::p256(), share.data);
    const auto wrapped = wrap_share_for_tpm(parent_public(), x);
    return impl_->import_duplicate(label, decode_duplicate_blob(wrapped.data));
  }
  throw BackendError(BackendErrc::unsupported,
                     "the TPM backend cannot import a share in format '" + share.format + "'");
}

void TpmBackend::lock() noexcept {
  std::lock_guard guard(impl_->mu);
  const SigpipeGuard no_sigpipe;
  impl_->drop_connection(false);
}

TpmParentPublic TpmBackend::parent_public() {
  return impl_->run([](Connection& c) { return TpmParentPublic{c.parent_point}; });
}

TpmHandleCounts TpmBackend::loaded_handles() {
  return impl_->run([](Connection& c) {
    return TpmHandleCounts{c.count_handles(TPM2_TRANSIENT_FIRST),
                           c.count_handles(TPM2_LOADED_SESSION_FIRST)};
  });
}

std::unique_ptr<backend::Backend> make_tpm_backend(const TpmConfig& config,
                                                   backend::PinSource pins) {
  return std::make_unique<TpmBackend>(config, std::move(pins));
}

}  // namespace recrypt::tpm
