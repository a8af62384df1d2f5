// The one base64 decoder (protocol/base64.hpp) under its two paddings, and base64url on top of
// it: RFC 4648's test vectors, and every way a text could mean a value a second way.
#include "protocol/base64.hpp"

#include <gtest/gtest.h>

#include "protocol/base64url.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using base64::Padding;

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::string refusal(std::string_view text, Padding padding) {
  return test::message_of([&] { base64::decode(text, padding); });
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, padded] : vectors) {
    EXPECT_EQ(base64::encode(bytes_of(plain), Padding::required), padded);
    EXPECT_EQ(base64::decode(padded, Padding::required), bytes_of(plain));
    std::string bare(padded.substr(0, padded.find('=')));
    EXPECT_EQ(base64::encode(bytes_of(plain), Padding::none), bare);
    EXPECT_EQ(base64::decode(bare, Padding::none), bytes_of(plain));
  }
}

TEST(Base64, RoundTripsEveryLengthAndByte) {
  for (std::size_t n = 0; n < 70; ++n) {
    Bytes data = test::random_bytes(n);
    for (Padding padding : {Padding::none, Padding::required}) {
      std::string text = base64::encode(data, padding);
      EXPECT_EQ(base64::decode(text, padding), data);
      EXPECT_EQ(to_bytes(base64::decode_secret(text, padding)), data);
    }
  }
  Bytes all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(base64::decode(base64::encode(all, Padding::required), Padding::required), all);
}

TEST(Base64, UnpaddedRefusesWhatWouldDecodeASecondWay) {
  EXPECT_EQ(refusal("Zg==", Padding::none), "base64: padding is not allowed");
  EXPECT_EQ(refusal("Zh", Padding::none), "base64: not canonical (unused bits are set)");
  EXPECT_EQ(refusal("Zm9vY", Padding::none), "base64: impossible length");
  EXPECT_EQ(refusal("Zm-v", Padding::none), "base64: a character outside the standard alphabet");
  EXPECT_EQ(refusal("Zm9v\n", Padding::none), "base64: a character outside the standard alphabet");
}

TEST(Base64, PaddedRefusesWhatWouldDecodeASecondWay) {
  EXPECT_EQ(refusal("Zg", Padding::required), "base64: its length is not a multiple of 4");
  EXPECT_EQ(refusal("Zg=", Padding::required), "base64: its length is not a multiple of 4");
  EXPECT_EQ(refusal("Z===", Padding::required), "base64: padding before the end");
  EXPECT_EQ(refusal("Zg==Zg==", Padding::required), "base64: padding before the end");
  EXPECT_EQ(refusal("Zh==", Padding::required), "base64: not canonical (unused bits are set)");
  EXPECT_EQ(refusal("Zm9=", Padding::required), "base64: not canonical (unused bits are set)");
  EXPECT_EQ(refusal("Zm9v Zg==", Padding::required),
            "base64: a character outside the standard alphabet");
}

TEST(Base64url, NamesItsOwnVariantWhenItRefuses) {
  auto url_refusal = [](std::string_view text) {
    return test::message_of([&] { base64url::decode(text); });
  };
  EXPECT_EQ(url_refusal("+/+/"), "base64url: a character outside the URL alphabet");
  EXPECT_EQ(url_refusal("Zg=="), "base64url: a character outside the URL alphabet");
  EXPECT_EQ(url_refusal("Zh"), "base64url: not canonical (unused bits are set)");
  EXPECT_EQ(url_refusal("Z"), "base64url: impossible length");
  EXPECT_EQ(base64url::decode("-_-_"), base64::decode("+/+/", Padding::none));
}

}  // namespace
}  // namespace recrypt
