#include "pkcs11/sealed_blob.hpp"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "base/error.hpp"
#include "pkcs11/pkcs11_backend.hpp"
#include "protocol/ossl.hpp"
#include "protocol/primitives.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::pkcs11 {

namespace {

constexpr std::uint8_t kMagic[4] = {'R', 'P', 'K', 'S'};
constexpr std::size_t kTagSize = kGcmTagSize;
constexpr std::string_view kKdfInfo = "recrypt-pkcs11-seal-v1";
// Sealed secrets are group master keys: small. The limit keeps a hostile blob from asking
// for a huge allocation.
constexpr std::size_t kMaxSecret = 4096;

// KEK = HKDF-SHA256(salt = none, IKM = Z.x, info = "recrypt-pkcs11-seal-v1" || E || D): the
// info binds the key to this construction and to both public keys.
SecureBytes derive_kek(ByteView z_x, const Point& e, const Point& d) {
  Bytes info(kKdfInfo.begin(), kKdfInfo.end());
  Bytes eb = e.to_uncompressed(), db = d.to_uncompressed();
  info.insert(info.end(), eb.begin(), eb.end());
  info.insert(info.end(), db.begin(), db.end());

  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(z_x.data()),
                                        z_x.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  SecureBytes kek(32);
  ossl::kdf_derive("HKDF", params, kek);
  return kek;
}

void put_u16(Bytes& out, std::size_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

void put(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// A bounds-checked reader: every field is length-checked before use.
class Reader {
 public:
  explicit Reader(ByteView b) : b_(b) {}
  ByteView take(std::size_t n) {
    if (b_.size() - pos_ < n) fail(Errc::truncated, "sealed blob ends early");
    ByteView out = b_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::size_t u16() {
    ByteView v = take(2);
    return (std::size_t{v[0]} << 8) | v[1];
  }
  std::size_t pos() const noexcept { return pos_; }
  std::size_t left() const noexcept { return b_.size() - pos_; }

 private:
  ByteView b_;
  std::size_t pos_ = 0;
};

}  // namespace

Bytes seal_to_token_key(const Point& token_key, std::string_view key_uri, std::string_view label,
                        ByteView secret) {
  if (secret.size() > kMaxSecret) fail(Errc::too_large, "secret too large to seal");
  if (key_uri.size() > 0xffff || label.size() > 0xffff) fail(Errc::too_large, "label too long");
  const Curve& curve = token_key.curve();
  Scalar e = Scalar::random(curve);
  Point big_e = e.public_point();
  const SecureBytes z_x = token_key.times(e).secret_x();
  SecureBytes kek = derive_kek(z_x, big_e, token_key);

  Bytes out(kMagic, kMagic + 4);
  out.push_back(kSealVersion);
  put(out, big_e.to_uncompressed());
  put(out, token_key.to_uncompressed());
  put_u16(out, key_uri.size());
  put(out, as_bytes(key_uri));
  put_u16(out, label.size());
  put(out, as_bytes(label));
  std::array<std::uint8_t, 12> nonce{};
  ossl::check(RAND_bytes(nonce.data(), nonce.size()) == 1, "RAND_bytes");
  put(out, nonce);
  const std::size_t aad_len = out.size();

  out.resize(aad_len + secret.size() + kTagSize);
  Aes256Gcm gcm(kek);
  auto tag = gcm.seal(nonce, ByteView(out).first(aad_len), secret,
                      std::span(out).subspan(aad_len, secret.size()));
  std::copy(tag.begin(), tag.end(),
            out.begin() + static_cast<std::ptrdiff_t>(aad_len + secret.size()));
  return out;
}

SealedBlob parse_sealed_blob(ByteView blob) {
  const Curve& curve = Curve::p256();
  const std::size_t point_len = 1 + 2 * curve.coordinate_size();
  Reader r(blob);
  ByteView magic = r.take(4);
  if (!std::equal(magic.begin(), magic.end(), kMagic))
    fail(Errc::malformed, "not a PKCS#11 sealed blob");
  if (r.take(1)[0] != kSealVersion) fail(Errc::unsupported, "sealed blob version not supported");
  Point e = Point::from_uncompressed(curve, r.take(point_len));
  Point d = Point::from_uncompressed(curve, r.take(point_len));
  std::string key_uri(as_chars(r.take(r.u16())));
  std::string label(as_chars(r.take(r.u16())));
  SealedBlob out{std::move(e), std::move(d), std::move(key_uri), std::move(label), {}, {}, 0};
  ByteView nonce = r.take(out.nonce.size());
  std::copy(nonce.begin(), nonce.end(), out.nonce.begin());
  out.header_size = r.pos();
  if (r.left() < kTagSize) fail(Errc::truncated, "sealed blob ends early");
  if (r.left() - kTagSize > kMaxSecret) fail(Errc::too_large, "sealed secret too large");
  out.ciphertext_and_tag = to_bytes(r.take(r.left()));
  return out;
}

SecureBytes open_sealed_blob(const SealedBlob& parsed, ByteView blob, ByteView z_x) {
  SecureBytes kek = derive_kek(z_x, parsed.ephemeral, parsed.token_key);
  const ByteView ct(parsed.ciphertext_and_tag);
  const std::size_t ct_len = ct.size() - kTagSize;
  SecureBytes out(ct_len);
  Aes256Gcm gcm(kek);
  if (!gcm.open(parsed.nonce, blob.first(parsed.header_size), ct.first(ct_len), ct.subspan(ct_len),
                out))
    fail(Errc::decrypt_failed,
         "sealed blob does not open with this token key (wrong token or tampered)");
  return out;
}

backend::WrappedShare wrap_secret_for_pkcs11(const Point& device_encryption_key,
                                             std::string_view label, ByteView secret) {
  return {std::string(kSealedSecretFormat),
          secure_copy(seal_to_token_key(device_encryption_key, "", label, secret))};
}

}  // namespace recrypt::pkcs11
