// The TPM backend's byte formats on arbitrary bytes (tpm/marshal.hpp, tpm/share_wrap.hpp,
// tpm/sealed_wrap.hpp): key files, sealed blobs, tpm2-duplicate-v1 shares and
// tpm2-duplicate-sealed-v1 secrets as the backend decodes them, then what it reads of their
// public area (its point, its Name, the checks before import); a lone TPM2B_PUBLIC; and a TPM's
// parent public key as an administrator's host reads it to wrap a share. Refusals are Error;
// whatever decodes encodes back to the same bytes, and a parent key that parses writes out a
// TPM2B_PUBLIC that parses to the same key.
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/error.hpp"
#include "tpm/marshal.hpp"
#include "tpm/sealed_wrap.hpp"
#include "tpm/share_wrap.hpp"
#include "tpm/templates.hpp"

namespace {

using namespace recrypt;
using namespace recrypt::tpm;

template <class F>
void refusals_only(F&& f) {
  try {
    f();
  } catch (const Error&) {
  }
}

void public_area(const TPM2B_PUBLIC& pub) {
  refusals_only([&] { (void)point_from_public(pub); });
  refusals_only([&] { (void)object_name(pub.publicArea); });
  refusals_only([&] { require_imported_sealed_public(pub); });
}

// What decodes encodes again, to the same bytes; a refusal either way ends the check there,
// an encoder refusing what its decoder took is a finding.
template <class Blob>
void round_trip(ByteView input, Blob (*decode)(ByteView), Bytes (*encode)(const Blob&)) {
  Blob blob;
  try {
    blob = decode(input);
  } catch (const Error&) {
    return;
  }
  Bytes again;
  try {
    again = encode(blob);
  } catch (const Error& e) {
    std::fprintf(stderr, "decoded, but does not encode again: %s\n", e.what());
    std::abort();
  }
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) {
    std::fprintf(stderr, "decoded, but encodes to other bytes\n");
    std::abort();
  }
  public_area(blob.pub);
}

// A sealed secret for import, seen through its public area like the other blobs.
struct DuplicateSealed {
  DuplicateSealedBlob blob;
  TPM2B_PUBLIC pub{};
};
DuplicateSealed decode_duplicate_sealed(ByteView data) {
  DuplicateSealedBlob blob = decode_duplicate_sealed_blob(data);
  const TPM2B_PUBLIC pub = blob.dup.pub;
  return DuplicateSealed{std::move(blob), pub};
}
Bytes encode_duplicate_sealed(const DuplicateSealed& d) {
  return encode_duplicate_sealed_blob(d.blob);
}

// A lone TPM2B_PUBLIC, as a blob of its own.
struct Public {
  TPM2B_PUBLIC pub{};
};
Public decode_public(ByteView data) { return Public{unmarshal_public(data, "TPM2B_PUBLIC")}; }
Bytes encode_public(const Public& p) { return marshal_public(p.pub); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // tss2-mu logs every refused structure to stderr unless told otherwise; the user's TSS2_LOG
  // wins, to debug a finding.
  ::setenv("TSS2_LOG", "all+NONE", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  round_trip(input, decode_key_blob, encode_key_blob);
  round_trip(input, decode_sealed_blob, encode_sealed_blob);
  round_trip(input, decode_duplicate_blob, encode_duplicate_blob);
  round_trip(input, decode_duplicate_sealed, encode_duplicate_sealed);
  round_trip(input, decode_public, encode_public);
  refusals_only([&] {
    const TpmParentPublic parent = TpmParentPublic::from_tpm2b_public(input);
    if (!(TpmParentPublic::from_tpm2b_public(parent.to_tpm2b_public()).key == parent.key))
      std::abort();
  });
  return 0;
}
