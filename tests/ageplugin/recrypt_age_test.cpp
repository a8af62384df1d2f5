// The recipient, identity and stanza of docs/AGE_PLUGIN.md against the vector that
// tests/vectors/age_recrypt.py checks with a second implementation.
#include "ageplugin/recrypt_age.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "ageplugin/age_stanza.hpp"
#include "ageplugin/bech32.hpp"
#include "base/error.hpp"

namespace recrypt::age {
namespace {

Json vector_json() {
  std::ifstream f(std::string(RECRYPT_VECTORS_DIR) + "/age/recrypt.json");
  std::stringstream ss;
  ss << f.rdbuf();
  return Json::parse(ss.str());
}

Bytes hex(const std::string& h) {
  Bytes out;
  for (std::size_t i = 0; i < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

Scalar scalar(const Json& v, const char* name) {
  return Scalar::from_bytes(Curve::p256(), hex(v[name].get<std::string>()));
}

std::string refusal(std::string_view recipient) {
  try {
    parse_recipient(recipient);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(RecryptAge, MatchesTheVector) {
  Json v = vector_json();
  Scalar a = scalar(v, "group_private_key");
  GroupRecipient group{a.public_point(), jwe::Locator{v["group"], v["group_id"], v["service"]}};
  EXPECT_EQ(encode_recipient(group), v["recipient"].get<std::string>());
  EXPECT_EQ(identity(), v["identity"].get<std::string>());

  Bytes file_key = hex(v["file_key"]);
  RecryptStanza stanza = wrap_file_key(group, file_key, scalar(v, "t"));
  EXPECT_EQ(Json(stanza.args()), v["stanza_args"]);
  EXPECT_EQ(base64_encode(stanza.wrapped), v["stanza_body"].get<std::string>());

  // Read back as the agent reads it, and opened with Z = a·T.
  GroupRecipient parsed = parse_recipient(v["recipient"].get<std::string>());
  EXPECT_TRUE(parsed.key == group.key);
  EXPECT_EQ(parsed.locator, group.locator);
  std::vector<std::string> args = v["stanza_args"];
  args.erase(args.begin());
  RecryptStanza read = parse_stanza(args, base64_decode(v["stanza_body"].get<std::string>()));
  auto key = unwrap_file_key(read, read.epk.times(a));
  ASSERT_TRUE(key);
  EXPECT_EQ(Bytes(key->begin(), key->end()), file_key);
  // Another Z opens nothing; -Z has Z's x, and the KDF takes x only (FORMAT.md §3.4).
  EXPECT_FALSE(unwrap_file_key(read, read.epk));
  EXPECT_TRUE(unwrap_file_key(read, read.epk.times(a).negated()));
}

TEST(RecryptAge, FreshWrapsDiffer) {
  GroupRecipient group{Scalar::random(Curve::p256()).public_point(),
                       jwe::Locator{"g@example.com", "GID", "https://s.example.com"}};
  Bytes file_key(kFileKeySize, 7);
  EXPECT_NE(wrap_file_key(group, file_key).args(), wrap_file_key(group, file_key).args());
  EXPECT_THROW(wrap_file_key(group, Bytes(15)), Error);
}

TEST(RecryptAge, RefusesRecipientsWithTheReason) {
  Json v = vector_json();
  bech32::Decoded d = bech32::decode(v["recipient"].get<std::string>());
  auto with = [](Bytes payload) { return bech32::encode("age1recrypt", payload); };
  Bytes p = d.data;
  p[0] = 2;
  EXPECT_EQ(refusal(with(p)), "recrypt recipient: unknown version (this plugin reads version 1)");
  p = d.data;
  p.push_back(0);
  EXPECT_EQ(refusal(with(p)),
            "recrypt recipient: recrypt locator: bytes after the service address");
  p = d.data;
  p.resize(p.size() - 3);
  EXPECT_EQ(refusal(with(p)),
            "recrypt recipient: recrypt locator: it ends inside the service address");
  p = d.data;
  p[1] = 0x04;
  EXPECT_EQ(refusal(with(p)),
            "recrypt recipient: not a SEC1 compressed P-256 point (33 bytes, 02 or 03 first)");
  p = d.data;
  // x = p (the field prime) is on no curve point: 0xff.. is above it.
  std::fill(p.begin() + 2, p.begin() + 34, 0xff);
  EXPECT_EQ(refusal(with(p)), "recrypt recipient: the point is not on P-256");
  EXPECT_EQ(refusal(bech32::encode("age1other", d.data)),
            "not a recrypt recipient (its prefix is age1other1, not age1recrypt1)");
  EXPECT_EQ(refusal(with(Bytes{1, 2})), "recrypt recipient: too short for a key");
}

TEST(RecryptAge, IdentityFormsAge_jAndVersion1) {
  EXPECT_NO_THROW(parse_identity(bech32::encode_upper("AGE-PLUGIN-RECRYPT-", {})));
  EXPECT_NO_THROW(parse_identity(identity()));
  EXPECT_THROW(parse_identity(bech32::encode_upper("AGE-PLUGIN-RECRYPT-", Bytes{2})), Error);
  EXPECT_THROW(parse_identity(bech32::encode_upper("AGE-PLUGIN-YUBIKEY-", Bytes{1})), Error);
}

TEST(RecryptAge, RefusesMalformedStanzas) {
  Json v = vector_json();
  std::vector<std::string> args = v["stanza_args"];
  args.erase(args.begin());
  Bytes body = hex("00112233445566778899aabbccddeeff0011223344556677");
  EXPECT_NO_THROW(parse_stanza(args, body));
  auto message = [&](std::vector<std::string> a, ByteView b) {
    try {
      parse_stanza(a, b);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message({args[0], args[1]}, body),
            "recrypt stanza: 2 arguments, not 3 (KID EPK LOCATOR)");
  EXPECT_EQ(message(args, ByteView(body).first(23)), "recrypt stanza: a body of 23 bytes, not 24");
  EXPECT_EQ(message({args[0], args[1] + "=", args[2]}, body),
            "recrypt stanza: base64: padding is not allowed");
  EXPECT_EQ(message({args[0], args[1].substr(4), args[2]}, body),
            "recrypt stanza: not a SEC1 compressed P-256 point (33 bytes, 02 or 03 first)");
  EXPECT_EQ(message({args[0], args[1], args[2].substr(0, 8)}, body),
            "recrypt stanza: recrypt locator: it ends inside the group name");
}

}  // namespace
}  // namespace recrypt::age
