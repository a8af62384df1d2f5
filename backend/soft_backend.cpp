#include "backend/soft_backend.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "base/atomic_file.hpp"
#include "protocol/base64url.hpp"
#include "protocol/json.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "protocol/primitives.hpp"
#include "protocol/udf.hpp"

namespace recrypt::backend {
namespace fs = std::filesystem;
namespace {

constexpr int kFormatVersion = 1;  // key files and sealed blobs
// store.json: version 1 used the scrypt output as the store key; version 2 keeps a random store
// key encrypted under it, so that the scrypt cost can rise without touching key files.
constexpr std::uint64_t kStoreVersionScryptKey = 1;
constexpr std::uint64_t kStoreVersion = 2;
constexpr std::uint64_t kMaxScryptN = 1u << 22;
constexpr std::size_t kMaxFile = 64 * 1024;
constexpr int kPassphraseAttempts = 3;

Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  ossl::check(RAND_bytes(out.data(), static_cast<int>(n)) == 1, "RAND_bytes");
  return out;
}

// AES-256-GCM under the store key; the associated data binds a ciphertext to what it is
// (which key file, which sealed label) so files cannot be swapped for each other.
Json seal_json(ByteView key, ByteView plaintext, std::string_view aad) {
  Bytes nonce = random_bytes(kGcmNonceSize);
  Bytes ct(plaintext.size() + kGcmTagSize);
  Aes256Gcm gcm(key);
  auto tag = gcm.seal(nonce, as_bytes(aad), plaintext, std::span(ct).first(plaintext.size()));
  std::copy(tag.begin(), tag.end(), ct.begin() + static_cast<std::ptrdiff_t>(plaintext.size()));
  return Json{{"nonce", base64url::encode(nonce)}, {"ciphertext", base64url::encode(ct)}};
}

std::optional<SecureBytes> open_json(ByteView key, const Json& sealed, std::string_view aad,
                                     std::string_view what) {
  Bytes nonce = base64url::decode(json::string_field(sealed, "nonce", what));
  Bytes ct = base64url::decode(json::string_field(sealed, "ciphertext", what));
  if (nonce.size() != kGcmNonceSize || ct.size() < kGcmTagSize)
    throw BackendError(BackendErrc::device, std::string(what) + " is damaged");
  std::size_t body = ct.size() - kGcmTagSize;
  SecureBytes plain(body);
  Aes256Gcm gcm(key);
  if (!gcm.open(nonce, as_bytes(aad), ByteView(ct).first(body), ByteView(ct).subspan(body), plain))
    return std::nullopt;
  return plain;
}

std::string purpose_name(KeyPurpose p) {
  return p == KeyPurpose::encryption ? "encryption" : "signing";
}

KeyPurpose purpose_from(const std::string& s) {
  if (s == "encryption") return KeyPurpose::encryption;
  if (s == "signing") return KeyPurpose::signing;
  throw BackendError(BackendErrc::device, "key file has an unknown purpose");
}

Json read_json_file(const fs::path& path, std::string_view what) {
  Bytes raw = read_file(path, kMaxFile);
  return json::parse(as_chars(raw), kMaxFile, what);
}

}  // namespace

SoftBackend::SoftBackend(SoftConfig config, PinSource pins)
    : config_(std::move(config)), pins_(std::move(pins)) {
  fs::create_directories(config_.directory / "keys");
  fs::permissions(config_.directory, fs::perms::owner_all, fs::perm_options::replace);
}

SoftBackend::~SoftBackend() { lock(); }

Capabilities SoftBackend::capabilities() const {
  return Capabilities{.full_point_ecdh = true,
                      .resident_shares = true,
                      .sealing = true,
                      .needs_pin = true,
                      .key_auth = KeyAuth::passphrase};
}

void SoftBackend::lock() noexcept {
  std::lock_guard guard(mutex_);
  store_key_.reset();
  unlocked_keys_.clear();
}

fs::path SoftBackend::key_path(std::string_view id) const {
  // Ids are our own UDF strings; refuse anything else so an id can never name another path.
  std::string safe(id);
  for (char c : safe)
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7') || c == '-'))
      throw BackendError(BackendErrc::no_such_key, "no soft key has this id");
  return config_.directory / "keys" / (safe + ".json");
}

const SecureBytes& SoftBackend::store_key() {
  auto now = std::chrono::steady_clock::now();
  if (store_key_ && now < unlocked_until_) return *store_key_;
  store_key_.reset();
  unlocked_keys_.clear();

  fs::path store_path = config_.directory / "store.json";
  bool creating = !fs::exists(store_path);
  Json store;
  if (!creating) store = read_json_file(store_path, "soft key store");

  PinRequest request{
      "soft",
      creating ? "New passphrase for the recrypt key store at " + config_.directory.string()
               : "Passphrase for the recrypt key store at " + config_.directory.string(),
      "", std::nullopt};
  for (int attempt = 0; attempt < kPassphraseAttempts; ++attempt) {
    std::optional<SecureString> pass = pins_ ? pins_(request) : std::nullopt;
    if (!pass)
      throw BackendError(BackendErrc::cancelled, "no passphrase given for the soft key store");
    if (pass->empty()) {
      request.error = "the passphrase must not be empty";
      continue;
    }
    if (creating) {
      SecureBytes key(kAes256KeySize);
      ossl::check(RAND_priv_bytes(key.data(), static_cast<int>(key.size())) == 1,
                  "RAND_priv_bytes");
      write_store(key, *pass);
      store_key_ = std::move(key);
    } else {
      store_key_ = open_store(store, *pass);
      if (!store_key_) {
        request.error = "wrong passphrase";
        continue;
      }
    }
    unlocked_until_ = now + config_.unlock_ttl;
    return *store_key_;
  }
  throw BackendError(BackendErrc::auth_failed, "wrong passphrase for the soft key store");
}

void SoftBackend::write_store(const SecureBytes& key, const SecureString& pass) {
  Bytes salt = random_bytes(16);
  SecureBytes kek =
      recrypt::scrypt(as_bytes(std::string_view(pass.data(), pass.size())), salt, config_.scrypt_n,
                      config_.scrypt_r, config_.scrypt_p, kAes256KeySize);
  Json store{{"version", kStoreVersion},
             {"kdf",
              {{"alg", "scrypt"},
               {"n", config_.scrypt_n},
               {"r", config_.scrypt_r},
               {"p", config_.scrypt_p},
               {"salt", base64url::encode(salt)}}},
             {"store_key", seal_json(kek, key, "store key")}};
  write_file_atomic(config_.directory / "store.json", as_bytes(store.dump(2)), 0600);
}

std::optional<SecureBytes> SoftBackend::open_store(const Json& store, const SecureString& pass) {
  std::uint64_t version = json::uint_field(store, "version", "soft key store");
  if (version != kStoreVersionScryptKey && version != kStoreVersion)
    throw BackendError(BackendErrc::unsupported, "soft key store has an unknown version");
  const Json& kdf = json::object_field(store, "kdf", "soft key store");
  if (json::string_field(kdf, "alg", "soft key store kdf") != "scrypt")
    throw BackendError(BackendErrc::unsupported, "soft key store uses an unknown KDF");
  std::uint64_t n = json::uint_field(kdf, "n", "soft key store kdf");
  std::uint64_t r = json::uint_field(kdf, "r", "soft key store kdf");
  std::uint64_t p = json::uint_field(kdf, "p", "soft key store kdf");
  if (n < 2 || n > kMaxScryptN || (n & (n - 1)) != 0 || r == 0 || r > 32 || p == 0 || p > 16)
    throw BackendError(BackendErrc::device, "soft key store has KDF parameters out of range");
  Bytes salt = base64url::decode(json::string_field(kdf, "salt", "soft key store kdf"));
  SecureBytes kek =
      recrypt::scrypt(as_bytes(std::string_view(pass.data(), pass.size())), salt, n,
                      static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(p), kAes256KeySize);
  std::optional<SecureBytes> key;
  if (version == kStoreVersionScryptKey) {
    // Version 1: the scrypt output is the store key; "check" proves the passphrase.
    if (!open_json(kek, json::object_field(store, "check", "soft key store"), "check",
                   "soft key store"))
      return std::nullopt;
    key = std::move(kek);
  } else {
    key = open_json(kek, json::object_field(store, "store_key", "soft key store"), "store key",
                    "soft key store");
    if (!key) return std::nullopt;
    if (key->size() != kAes256KeySize)
      throw BackendError(BackendErrc::device, "soft key store is damaged");
  }
  // Cheaper than configured (made by an older version, or with a test's cost): the passphrase
  // just worked, so seal the same store key again under the configured cost.
  if (version == kStoreVersionScryptKey || n < config_.scrypt_n || r < config_.scrypt_r ||
      p < config_.scrypt_p)
    write_store(*key, pass);
  return key;
}

KeyInfo SoftBackend::store(std::string_view label, KeyPurpose purpose, bool share,
                           const Scalar& key) {
  Point pub = key.public_point();
  std::string id = udf::key_fingerprint(pub);
  Json header{
      {"version", kFormatVersion},        {"id", id},       {"label", std::string(label)},
      {"purpose", purpose_name(purpose)}, {"share", share}, {"public", jwk::from_public(pub)}};
  SecureBytes secret = key.to_bytes();
  Json file = header;
  file["sealed"] = seal_json(store_key(), secret, header.dump());
  write_file_atomic(key_path(id), as_bytes(file.dump(2)), 0600);
  unlocked_keys_.insert_or_assign(id, key.clone());
  listed_.reset();
  return KeyInfo{id, std::string(label), purpose, pub, share};
}

KeyInfo SoftBackend::generate_key(std::string_view label, KeyPurpose purpose) {
  std::lock_guard guard(mutex_);
  return store(label, purpose, false, Scalar::random(Curve::p256()));
}

std::vector<KeyInfo> SoftBackend::list_keys() {
  std::lock_guard guard(mutex_);
  if (listed_) return *listed_;
  std::vector<KeyInfo> out;
  for (const auto& entry : fs::directory_iterator(config_.directory / "keys")) {
    if (entry.path().extension() != ".json") continue;
    Json file = read_json_file(entry.path(), "soft key file");
    out.push_back(KeyInfo{json::string_field(file, "id", "soft key file"),
                          json::string_field(file, "label", "soft key file"),
                          purpose_from(json::string_field(file, "purpose", "soft key file")),
                          jwk::to_public(json::object_field(file, "public", "soft key file")),
                          file.value("share", false)});
  }
  listed_ = out;
  return out;
}

const Scalar& SoftBackend::private_key(std::string_view id) {
  const SecureBytes& skey = store_key();
  if (auto it = unlocked_keys_.find(id); it != unlocked_keys_.end()) return it->second;
  fs::path path = key_path(id);
  if (!fs::exists(path))
    throw BackendError(BackendErrc::no_such_key, "no soft key " + std::string(id));
  Json file = read_json_file(path, "soft key file");
  Json header = file;
  header.erase("sealed");
  auto secret = open_json(skey, json::object_field(file, "sealed", "soft key file"), header.dump(),
                          "soft key file");
  if (!secret)
    throw BackendError(BackendErrc::device,
                       "soft key " + std::string(id) + " does not decrypt (damaged file)");
  Scalar key = Scalar::from_bytes(Curve::p256(), *secret);
  if (!(key.public_point() == jwk::to_public(json::object_field(file, "public", "soft key file"))))
    throw BackendError(BackendErrc::device,
                       "soft key " + std::string(id) + " does not match its public key");
  return unlocked_keys_.emplace(std::string(id), std::move(key)).first->second;
}

EcdhResult SoftBackend::ecdh(std::string_view key_id, const Point& peer) {
  std::lock_guard guard(mutex_);
  Point shared = peer.times(private_key(key_id));
  return EcdhResult{shared.secret_x(), shared.secret_y()};
}

Bytes SoftBackend::sign_digest(std::string_view key_id, ByteView digest) {
  std::lock_guard guard(mutex_);
  return jws::software_signer(private_key(key_id))(digest);
}

Bytes SoftBackend::seal(std::string_view label, ByteView secret) {
  std::lock_guard guard(mutex_);
  Json blob{{"version", kFormatVersion}, {"label", std::string(label)}};
  blob["sealed"] = seal_json(store_key(), secret, "seal:" + std::string(label));
  std::string text = blob.dump();
  return Bytes(text.begin(), text.end());
}

SecureBytes SoftBackend::unseal(ByteView sealed_blob) {
  std::lock_guard guard(mutex_);
  Json blob = json::parse(as_chars(sealed_blob), kMaxFile, "sealed blob");
  const std::string& label = json::string_field(blob, "label", "sealed blob");
  auto secret = open_json(store_key(), json::object_field(blob, "sealed", "sealed blob"),
                          "seal:" + label, "sealed blob");
  if (!secret)
    throw BackendError(BackendErrc::device, "sealed blob does not open with this key store");
  return std::move(*secret);
}

KeyInfo SoftBackend::import_share(std::string_view label, const WrappedShare& share) {
  if (share.format != kRawScalarShare)
    throw BackendError(BackendErrc::unsupported,
                       "the soft backend imports only " + std::string(kRawScalarShare) + " shares");
  std::lock_guard guard(mutex_);
  return store(label, KeyPurpose::encryption, true, Scalar::from_bytes(Curve::p256(), share.data));
}

}  // namespace recrypt::backend
