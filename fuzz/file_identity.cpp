// service::identify_file (what `recrypt fingerprint` reads) on arbitrary bytes: a PEM or DER
// public key, a signed profile, or data.
#include <cstdlib>

#include "base/error.hpp"
#include "protocol/point.hpp"
#include "protocol/service/file_identity.hpp"
#include "protocol/udf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  ByteView bytes(data, size);
  try {
    service::FileIdentity id = service::identify_file(bytes, "application/octet-stream");
    // Whatever was found has a fingerprint; bytes are fingerprinted as bytes.
    if (id.fingerprint.empty()) std::abort();
    if (id.kind == service::FileKind::data &&
        id.fingerprint != udf::fingerprint("application/octet-stream", bytes))
      std::abort();
    // A DER key is named by the fingerprint of the key it holds.
    if (id.kind == service::FileKind::public_key && id.format == "DER" &&
        id.fingerprint != udf::key_fingerprint(Point::from_spki_der(bytes)))
      std::abort();
    if (id.kind == service::FileKind::profile && (!id.profile_type || id.name.empty()))
      std::abort();
  } catch (const Error&) {
  }
  return 0;
}
