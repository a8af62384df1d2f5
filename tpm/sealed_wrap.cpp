#include "tpm/sealed_wrap.hpp"

#include <openssl/rand.h>

#include <cstring>

#include "protocol/ossl.hpp"
#include "tpm/esys_memory.hpp"
#include "tpm/marshal.hpp"
#include "tpm/ossl_algs.hpp"
#include "tpm/templates.hpp"

namespace recrypt::tpm {
namespace {

constexpr std::size_t kSha256Size = 32;
// MAX_SYM_DATA of TPMs (tss2's headers allow 256, TPMs refuse more than 128), as for seal().
constexpr std::size_t kMaxSealed = 128;

}  // namespace

backend::WrappedShare wrap_secret_for_tpm(const TpmParentPublic& parent, std::string_view label,
                                          ByteView secret) {
  Wiped<TPMT_SENSITIVE> sensitive;
  auto& s = sensitive.v;
  // An empty KEYEDHASH data area means "TPM, make the data up": refused like seal() does.
  if (secret.empty() || secret.size() > kMaxSealed)
    fail(Errc::unsupported, "a TPM holds a sealed secret of 1 to 128 bytes");
  s.sensitiveType = TPM2_ALG_KEYEDHASH;
  // The auth value stays empty: the sender cannot know the receiver's PIN. The receiving
  // backend sets it with TPM2_ObjectChangeAuth right after TPM2_Import.
  s.sensitive.bits.size = static_cast<UINT16>(secret.size());
  std::memcpy(s.sensitive.bits.buffer, secret.data(), secret.size());
  // seedValue, a nameAlg digest of random bytes, hides the data from its public digest:
  // unique = SHA-256(seedValue || data), which the TPM checks when it imports the object.
  s.seedValue.size = kSha256Size;
  ossl::check(RAND_bytes(s.seedValue.buffer, kSha256Size) == 1, "RAND_bytes");

  TPM2B_PUBLIC pub = imported_sealed_template();
  const Bytes unique = algs::sha256_of(
      {ByteView(s.seedValue.buffer, s.seedValue.size), ByteView(secret.data(), secret.size())});
  pub.publicArea.unique.keyedHash.size = static_cast<UINT16>(unique.size());
  std::memcpy(pub.publicArea.unique.keyedHash.buffer, unique.data(), unique.size());

  const Bytes data = encode_duplicate_sealed_blob(
      DuplicateSealedBlob{std::string(label), duplicate_for_parent(parent, pub, s)});
  backend::WrappedShare out;
  out.format = std::string(kDuplicateSealedFormat);
  out.data.assign(data.begin(), data.end());
  return out;
}

void require_imported_sealed_public(const TPM2B_PUBLIC& pub) {
  const TPMT_PUBLIC& a = pub.publicArea;
  if (a.type != TPM2_ALG_KEYEDHASH || a.nameAlg != TPM2_ALG_SHA256 ||
      a.objectAttributes != kImportedSealedAttributes || a.authPolicy.size != 0 ||
      a.parameters.keyedHashDetail.scheme.scheme != TPM2_ALG_NULL ||
      a.unique.keyedHash.size != kSha256Size)
    fail(Errc::unsupported,
         "tpm2-duplicate-sealed-v1 secret does not describe a sealed data object (KEYEDHASH, "
         "userWithAuth only, no policy)");
}

}  // namespace recrypt::tpm
