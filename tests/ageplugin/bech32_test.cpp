// Bech32 against BIP-173's own test vectors, and the strictness age's strings need.
#include "ageplugin/bech32.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace recrypt {
namespace {

std::string message_of(std::string_view text) {
  try {
    bech32::decode(text);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::malformed);
    return e.what();
  }
  return "accepted";
}

TEST(Bech32, Bip173ValidStrings) {
  const std::string q82 = "11" + std::string(82, 'q') + "c8247j";  // 90 characters
  for (const std::string& s : std::vector<std::string>{
           "A12UEL5L", "a12uel5l",
           "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5"
           "tgs",
           "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", q82,
           "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl"})
    EXPECT_TRUE(bech32::verify_groups(s)) << s;
}

TEST(Bech32, Bip173InvalidStrings) {
  for (std::string s :
       {std::string("\x20") + "1nwldj5", std::string("\x7f") + "1axkwrx",
        std::string("\x80") + "1eym55h",
        std::string("an84characterslonghumanreadablepartthatcontainsthenumber1andt"
                    "heexcludedcharactersbio1569pvx"),
        std::string("pzry9x0s0muk"), std::string("1pzry9x0s0muk"), std::string("x1b4n0q5v"),
        std::string("li1dgmt3"), std::string("de1lg7wt") + "\xff", std::string("A1G7SGD8"),
        std::string("10a06t8"), std::string("1qzzfhee")})
    EXPECT_FALSE(bech32::verify_groups(s)) << s;
}

TEST(Bech32, RoundTripsBytesWithoutALengthLimit) {
  Bytes data(200);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  std::string s = bech32::encode("age1recrypt", data);
  EXPECT_GT(s.size(), 90u);
  bech32::Decoded d = bech32::decode(s);
  EXPECT_EQ(d.hrp, "age1recrypt");
  EXPECT_EQ(d.data, data);
  std::string upper = bech32::encode_upper("AGE-PLUGIN-RECRYPT-", data);
  EXPECT_EQ(bech32::decode(upper).hrp, "age-plugin-recrypt-");
  EXPECT_EQ(bech32::decode(upper).data, data);
  EXPECT_TRUE(bech32::decode(bech32::encode("x", {})).data.empty());
}

TEST(Bech32, RefusesWithTheRuleBroken) {
  std::string s = bech32::encode("age1recrypt", Bytes{1, 2, 3});
  std::string mixed = s;
  mixed[0] = 'A';
  EXPECT_EQ(message_of(mixed), "bech32: mixed upper and lower case");
  std::string flipped = s;
  flipped.back() = flipped.back() == 'q' ? 'p' : 'q';
  EXPECT_EQ(message_of(flipped), "bech32: bad checksum");
  EXPECT_EQ(message_of("qqqqqqqqqqqq"), "bech32: no separator '1'");
  EXPECT_EQ(message_of("a1qqqqqbqqqqqq"), "bech32: 'b' is not in the alphabet");
  // One byte is two groups with 2 bits of padding; here they are 01.
  EXPECT_EQ(message_of(bech32::encode_groups("a", {0, 1})), "bech32: padding bits are not zero");
  // Three groups: 15 bits, a byte and 7 bits of padding.
  EXPECT_EQ(message_of(bech32::encode_groups("a", {0, 0, 0})),
            "bech32: more than 4 bits of padding");
  EXPECT_EQ(message_of(std::string(1100, 'q')), "bech32: longer than 1024 characters");
}

}  // namespace
}  // namespace recrypt
