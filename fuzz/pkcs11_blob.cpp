// The PKCS#11 backend's byte formats on arbitrary bytes, as the backend takes them before it asks
// the token anything:
//  - a sealed blob (pkcs11/sealed_blob.hpp), as unseal and import_sealed do (a secret sealed
//    elsewhere, pkcs11-sealed-v1, is one that names no key id): parse, the key id it names
//    through parse_key_uri, then open with Z = d·E for a fixed token key d (fuzz::token_key(),
//    which the seeds are sealed to), so the fuzzer reaches the decryption: the secret, or
//    Error(decrypt_failed);
//  - a pkcs11-ecdh-aeskwp-v1 share (pkcs11/share_wrap.hpp), as import_share does: three points
//    and a key-wrap output of a plausible length;
//  - the input as a key id (parse_key_uri): a key id that names a key formats to a URI that
//    parses to the same key.
// Refusals are Error; anything else escaping, or a property broken, is a bug.
#include <cstdlib>
#include <cstring>

#include "fuzz/fixed_keys.hpp"
#include "pkcs11/sealed_blob.hpp"
#include "pkcs11/share_wrap.hpp"
#include "pkcs11/token_uri.hpp"
#include "base/error.hpp"

namespace {

using namespace recrypt;
using namespace recrypt::pkcs11;

const CK_TOKEN_INFO& token() {
  static const CK_TOKEN_INFO info = [] {
    CK_TOKEN_INFO t{};
    std::memset(t.label, ' ', sizeof t.label);
    std::memcpy(t.label, "fuzz", 4);
    return t;
  }();
  return info;
}

template <class F>
void refusals_only(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

void key_id(std::string_view uri) {
  const std::optional<KeyRef> ref = parse_key_uri(uri, token());
  if (!ref) return;
  if (!ref->label && !ref->id) std::abort();
  const std::optional<KeyRef> again = parse_key_uri(format_key_uri(token(), *ref), token());
  if (!again || again->label != ref->label || again->id != ref->id) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Scalar d = fuzz::token_key();
  static const Point big_d = d.public_point();
  const ByteView input(data, size);
  refusals_only([&] {
    const SealedBlob blob = parse_sealed_blob(input);
    if (blob.header_size > size || blob.ciphertext_and_tag.size() != size - blob.header_size)
      std::abort();
    key_id(blob.key_uri);
    if (!(blob.token_key == big_d)) return;
    const SecureBytes z = blob.ephemeral.times(d).secret_x();
    try {
      const SecureBytes secret = open_sealed_blob(blob, input, z);
      if (secret.size() + 16 != blob.ciphertext_and_tag.size()) std::abort();
    } catch (const Error& e) {
      if (e.code() != Errc::decrypt_failed) std::abort();
    }
  });
  refusals_only([&] {
    const KwpShare share = parse_kwp_share(input);
    if (share.wrapped.size() % 8 != 0 || share.wrapped.size() < 16 || share.wrapped.size() > 1024)
      std::abort();
  });
  key_id(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
