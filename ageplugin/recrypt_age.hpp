// recrypt's recipient, identity and stanza in age (docs/AGE_PLUGIN.md, byte for byte):
//
//   recipient  age1recrypt1...           Bech32 of 0x01 || SEC1 compressed A || locator
//   identity   AGE-PLUGIN-RECRYPT-1...   Bech32 of 0x01 (or of nothing, age's -j form):
//                                        "ask my agent", no key material
//   stanza     -> recrypt KID EPK LOCATOR
//              BASE64(AES-256-KW(KEK, file key))
//   locator    u8 len || group name || u8 len || group id || u16 len (BE) || service URL
//   KEK        ConcatKDF(x(Z), "age-recrypt-v1", apu = "", apv = KID, 256)   (FORMAT.md §3.2)
//
// Z = t·A when wrapping, Z = R + x·T for a member (FORMAT.md §3.4). Its own AlgorithmID
// keeps a key agreement of a .jcd and one of an age file from ever giving the same KEK.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "protocol/jwe.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::age {

inline constexpr std::string_view kRecipientHrp = "age1recrypt";
inline constexpr std::string_view kIdentityHrp = "AGE-PLUGIN-RECRYPT-";
inline constexpr std::string_view kStanzaTag = "recrypt";
inline constexpr std::string_view kKdfAlgorithm = "age-recrypt-v1";
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kFileKeySize = 16;
inline constexpr std::size_t kWrappedSize = kFileKeySize + 8;
inline constexpr std::size_t kCompressedSize = 33;

// A group as age's users write it: its encryption key and where its members ask.
struct GroupRecipient {
  Point key;  // A
  jwe::Locator locator;
  std::string kid() const;  // UDF of A
};

std::string encode_recipient(const GroupRecipient& recipient);
// Error(malformed) naming what is wrong: not Bech32, another prefix, an unknown version, a
// point not on P-256, a locator that does not parse or has bytes after it.
GroupRecipient parse_recipient(std::string_view text);

std::string identity();
// Error(malformed) unless `text` is this plugin's identity (version 1 or age's empty form).
void parse_identity(std::string_view text);

Bytes encode_locator(const jwe::Locator& locator);
jwe::Locator decode_locator(ByteView bytes);

Bytes compress(const Point& point);
Point decompress(ByteView sec1);

// One `recrypt` stanza: its arguments after the tag, and its body.
struct RecryptStanza {
  std::string kid;
  Point epk;  // T
  jwe::Locator locator;
  Bytes wrapped;
  std::vector<std::string> args() const;  // kStanzaTag, KID, EPK, LOCATOR
};

// `args` after the tag. Error(malformed) for a wrong argument count, bad base64, a point not
// on the curve, a bad locator, a body that is not kWrappedSize bytes.
RecryptStanza parse_stanza(const std::vector<std::string>& args, ByteView body);

// Wraps the file key to the group with a fresh t (or the given one, for test vectors).
RecryptStanza wrap_file_key(const GroupRecipient& recipient, ByteView file_key);
RecryptStanza wrap_file_key(const GroupRecipient& recipient, ByteView file_key, const Scalar& t);

// The file key, or nullopt when Z is not the stanza's (AES key wrap's integrity check).
std::optional<SecureBytes> unwrap_file_key(const RecryptStanza& stanza, const Point& z);

}  // namespace recrypt::age
