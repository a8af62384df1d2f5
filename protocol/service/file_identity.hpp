// What a file given to `recrypt fingerprint` names: a public key (PEM or DER
// SubjectPublicKeyInfo), a signed profile (the JWS compact `profile export` and `group export`
// write), or neither, when its fingerprint is the UDF of its bytes. A key gets the fingerprint
// every other part of recrypt gives it (udf::key_fingerprint); a profile is verified and named
// by its profile id, so that what a user reads out is what an administrator pins.
//
// Files are untrusted: what claims to be a key or a profile and is not one (a PEM private key,
// another curve, a profile whose signature fails) is an Error that says so, never taken for
// bytes and never a crash.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::service {

enum class FileKind { public_key, profile, data };
std::string_view to_string(FileKind kind);  // "public_key", "profile", "data"

struct FileIdentity {
  FileKind kind = FileKind::data;
  std::string fingerprint;  // the key's UDF, the profile id, or the UDF of the bytes
  std::string format;       // "PEM", "DER" (keys), "JWS" (profiles), or the data's content type
  std::string curve;        // a key's curve, "P-256"
  std::optional<ProfileType> profile_type;
  std::string name;  // a profile's account or group name
};

// Error(malformed, invalid_key or unsupported) for a file that is a key or a profile in form
// but not one recrypt can name. `content_type` is what the bytes of other files are
// fingerprinted with.
FileIdentity identify_file(ByteView data, std::string_view content_type);

}  // namespace recrypt::service
