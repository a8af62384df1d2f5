// age's stanza text (C2SP age.md): what it writes, and every rule the reader holds input to.
#include "ageplugin/age_stanza.hpp"

#include <gtest/gtest.h>

#include "base/error.hpp"

namespace recrypt::age {
namespace {

std::optional<Stanza> read(std::string_view text) {
  MemorySource in(text);
  return read_stanza(in);
}

std::string refusal(std::string_view text) {
  try {
    read(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "accepted";
}

TEST(AgeStanza, WritesAndReadsBodiesOfEveryLength) {
  for (std::size_t n : {0u, 1u, 2u, 3u, 47u, 48u, 49u, 96u, 1000u}) {
    Bytes body(n);
    for (std::size_t i = 0; i < n; ++i) body[i] = static_cast<std::uint8_t>(i * 13 + 1);
    std::string text = write_stanza({"X25519", "arg"}, body);
    auto s = read(text);
    ASSERT_TRUE(s) << n;
    EXPECT_EQ(s->args, (std::vector<std::string>{"X25519", "arg"}));
    EXPECT_EQ(Bytes(s->body.begin(), s->body.end()), body);
    // A body of a multiple of 48 bytes ends with an empty line.
    if (n % 48 == 0) {
      EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
    }
  }
  EXPECT_EQ(write_stanza({"done"}, {}), "-> done\n\n");
}

TEST(AgeStanza, ReadsOneAfterAnotherAndEndsCleanly) {
  MemorySource in("-> a\nAAAA\n-> b c\n\n");
  EXPECT_EQ(read_stanza(in)->args[0], "a");
  EXPECT_EQ(read_stanza(in)->args, (std::vector<std::string>{"b", "c"}));
  EXPECT_FALSE(read_stanza(in));
}

TEST(AgeStanza, RefusesWhatAge_mdDoesNotAllow) {
  EXPECT_EQ(refusal("-- a\n\n"), "age stanza: a stanza must begin with \"-> \"");
  EXPECT_EQ(refusal("->\n\n"), "age stanza: a stanza must begin with \"-> \"");
  EXPECT_EQ(refusal("-> a  b\n\n"), "age stanza: an empty argument (two spaces?)");
  EXPECT_EQ(refusal("-> a \n\n"), "age stanza: an empty argument (two spaces?)");
  EXPECT_EQ(refusal("-> a\tb\n\n"), "age stanza: an argument has a character outside 33..126");
  EXPECT_EQ(refusal("-> a\nAAA=\n"), "base64: padding is not allowed");
  EXPECT_EQ(refusal("-> a\nAB\n"), "base64: not canonical (unused bits are set)");
  EXPECT_EQ(refusal("-> a\nA\n"), "base64: impossible length");
  EXPECT_EQ(refusal("-> a\nA-A\n"), "base64: a character outside the standard alphabet");
  EXPECT_EQ(refusal("-> a\n" + std::string(65, 'A') + "\n"),
            "age stanza: a stanza's body line longer than 64 characters");
  EXPECT_EQ(refusal("-> " + std::string(5000, 'a') + "\n\n"),
            "age stanza: a stanza's first line longer than 4096 characters");
  std::string many_args = "->";
  for (int i = 0; i < 33; ++i) many_args += " a";
  EXPECT_EQ(refusal(many_args + "\n\n"), "age stanza: more than 32 arguments");
  std::string long_body = "-> a\n";
  for (int i = 0; i < 1100; ++i) long_body += std::string(64, 'A') + "\n";
  EXPECT_EQ(refusal(long_body), "age stanza: a body longer than 1024 lines");
}

TEST(AgeStanza, RefusesInputThatStopsShort) {
  EXPECT_EQ(refusal("-> a"), "age stanza: the input ends inside a stanza's first line");
  EXPECT_EQ(refusal("-> a\n"), "age stanza: the input ends before the stanza's body");
  EXPECT_EQ(refusal("-> a\n" + std::string(64, 'A') + "\n"),
            "age stanza: the input ends before the stanza's body");
  EXPECT_EQ(refusal("-> a\nAAAA"), "age stanza: the input ends inside a stanza's body line");
}

}  // namespace
}  // namespace recrypt::age
