// The encrypted message (docs/MAIL.md): an RFC 1847 multipart/encrypted message whose
// second part carries, as a .jcd, the original body with its MIME header fields (and the
// Subject, when protected). The routing fields stay outside as they were.
//
// Encryption: seal_plan() takes the message apart, the caller encrypts `inner` into a .jcd,
// sealed_message() writes the result. Decryption: open_encrypted() finds the .jcd (or says
// the message is not one of ours), the caller decrypts it, restore_message() puts the
// original back together. Nothing here touches keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "mail/header.hpp"

namespace recrypt::mail {

inline constexpr std::string_view kProtocol = "application/recrypt-jcd";
inline constexpr std::string_view kHiddenSubject = "...";
inline constexpr std::size_t kMaxMessageSize = std::size_t{64} << 20;

struct SealPlan {
  std::string inner;                 // what is encrypted: moved fields, empty line, body
  std::vector<std::string> outside;  // the fields that stay, raw, in their order
  std::size_t mime_at = 0;           // where in `outside` the new MIME fields go
  std::string line_end;              // the message's, for the lines written anew
};

// Error(malformed) for a message that does not parse, or that is encrypted already.
SealPlan seal_plan(std::string_view message, bool protect_subject);

// The whole encrypted message; `boundary` must not occur in base64 text (docs/MAIL.md:
// it starts with "=_", which base64 never writes).
std::string sealed_message(const SealPlan& plan, ByteView jcd, std::string_view boundary);

struct Encrypted {
  std::vector<HeaderField> outside;  // every outer field, as it came
  Bytes jcd;
};

// nullopt: not an encrypted message of ours (its Content-Type says otherwise, or it has no
// header this parser accepts and does not name kProtocol), to pass through unchanged.
// Error(malformed): it says it is one and is not.
std::optional<Encrypted> open_encrypted(std::string_view message);

// The original message from the outer fields and the decrypted inner entity. Error
// (malformed) when the inner entity holds a field that encryption never moves.
std::string restore_message(const Encrypted& encrypted, std::string_view inner);

}  // namespace recrypt::mail
