// The mail format's MIME handling (mail/): header fields, Content-Type, the one-level
// multipart split and base64, on valid and hostile input; and the encrypted message taken
// apart and put back together byte for byte (the .jcd itself stands in as opaque bytes).
#include <gtest/gtest.h>

#include "mail/base64.hpp"
#include "mail/content_type.hpp"
#include "mail/encrypted_message.hpp"
#include "mail/header.hpp"
#include "mail/multipart.hpp"
#include "tests/unit/support.hpp"

namespace recrypt::mail {
namespace {

using test::error_of;
using test::message_of;

const std::string kBoundary = "=_recrypt_0123456789abcdef";

TEST(MailHeader, KeepsFieldsAsWrittenAndUnfolds) {
  std::string text =
      "From: a@example.com\r\nSubject: one\r\n\ttwo  \r\nX-Empty:\r\n\r\nbody\r\nmore\r\n";
  Header h = parse_header(text);
  ASSERT_EQ(h.fields.size(), 3u);
  EXPECT_EQ(h.fields[1].raw, "Subject: one\r\n\ttwo  \r\n");
  EXPECT_EQ(h.fields[1].value(), "one\ttwo");
  EXPECT_EQ(h.fields[2].value(), "");
  EXPECT_EQ(h.separator, "\r\n");
  EXPECT_EQ(h.line_end, "\r\n");
  EXPECT_EQ(h.body, "body\r\nmore\r\n");
  EXPECT_EQ(count_fields(h, "subject"), 1u);
  EXPECT_EQ(find_field(h, "FROM")->value(), "a@example.com");
}

TEST(MailHeader, RefusesHostileInput) {
  EXPECT_EQ(parse_header("\r\nbody").body, "body");  // an entity with no fields
  EXPECT_EQ(parse_header("\r\nbody").line_end, "\r\n");
  EXPECT_EQ(error_of([] { seal_plan("\nbody", false); }), Errc::malformed);  // a message must
  EXPECT_EQ(error_of([] { parse_header(" folded: first\n\n"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header("no colon here\n\n"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header(": no name\n\n"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header("Bad Name: x\n\n"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header(std::string("A: x\0y\n\n", 8)); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header("A: x\ry\n\n"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { parse_header("A: x\r"); }), Errc::malformed);  // a CR at the end
  EXPECT_NE(message_of([] {
              parse_header("A: " + std::string(996, 'x') + "\n\n");
            }).find("longer than 998"),
            std::string::npos);
  EXPECT_EQ(error_of([] { parse_header("A: " + std::string(995, 'x') + "\n\n"); }), std::nullopt);
  std::string many;
  for (std::size_t i = 0; i <= kMaxFields; ++i) many += "X: y\n";
  EXPECT_NE(message_of([&] { parse_header(many); }).find("more than 500"), std::string::npos);
  std::string huge = "X: y\n";
  for (int i = 0; i < 100; ++i) huge += " " + std::string(900, 'z') + "\n";
  EXPECT_NE(message_of([&] { parse_header(huge); }).find("larger than"), std::string::npos);
}

TEST(MailContentType, ParsesParametersQuotesAndComments) {
  ContentType ct = parse_content_type(
      "Multipart/Encrypted (a (nested) comment); PROTOCOL=\"application/recrypt-jcd\";\t"
      "boundary=\"a \\\"b\\\" c\";");
  EXPECT_EQ(ct.type, "multipart");
  EXPECT_EQ(ct.subtype, "encrypted");
  EXPECT_EQ(ct.parameter("protocol"), "application/recrypt-jcd");
  EXPECT_EQ(ct.parameter("Boundary"), "a \"b\" c");
  EXPECT_EQ(ct.parameter("charset"), std::nullopt);
}

TEST(MailContentType, RefusesHostileInput) {
  for (const char* bad : {"", "text", "text/", "/plain", "text/plain; charset",
                          "text/plain; charset=", "text/plain; a=\"unterminated",
                          "text/plain (open comment", "text/plain x=y", "text/plain; a=1; A=2",
                          "text/plain; a=b c", "text/plain; (((((((((deep)))))))))"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of([&] { parse_content_type(bad); }), Errc::malformed);
  }
  std::string many = "text/plain";
  for (std::size_t i = 0; i <= kMaxParameters; ++i) many += "; p" + std::to_string(i) + "=v";
  EXPECT_EQ(error_of([&] { parse_content_type(many); }), Errc::malformed);
}

TEST(MailMultipart, SplitsAtDelimiterLines) {
  std::string body =
      "preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \r\n\r\ntwo\r\n\r\n--b--\r\nepilogue\r\n";
  auto parts = split_multipart(body, "b");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "A: 1\r\n\r\none");
  EXPECT_EQ(parts[1], "\r\ntwo\r\n");
  // A delimiter at the very start, an empty part, and a line that only starts like one.
  parts = split_multipart("--b\n--b\n--bx\n--b--", "b");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "");
  EXPECT_EQ(parts[1], "--bx");
}

TEST(MailMultipart, RefusesHostileInput) {
  EXPECT_EQ(error_of([] { split_multipart("--b\npart\n", "b"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("no delimiter\n", "b"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("--b--\n", "b"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("--b\n--b--\n", ""); }), Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("--b\n--b--\n", std::string(71, 'b')); }),
            Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("--b\n--b--\n", "tab\there"); }), Errc::malformed);
  EXPECT_EQ(error_of([] { split_multipart("--b\n" + std::string(999, 'x') + "\n--b--\n", "b"); }),
            Errc::malformed);
  std::string many;
  for (std::size_t i = 0; i <= kMaxParts + 1; ++i) many += "--b\nx\n";
  EXPECT_EQ(error_of([&] { split_multipart(many + "--b--\n", "b"); }), Errc::malformed);
  EXPECT_FALSE(valid_boundary("ends in space "));
  EXPECT_TRUE(valid_boundary(kBoundary));
}

TEST(MailBase64, RoundTripsInLinesOf76) {
  Bytes data(200);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  std::string text = base64_encode(data, "\r\n");
  EXPECT_EQ(text.find("\r\n"), 76u);
  EXPECT_EQ(base64_decode(text), data);
  EXPECT_EQ(base64_decode(base64_encode(as_bytes("ab"), "\n")), Bytes({'a', 'b'}));
  EXPECT_EQ(base64_encode(as_bytes("a"), "\n"), "YQ==\n");
}

TEST(MailBase64, RefusesNonCanonicalText) {
  for (const char* bad : {"YQ=", "Y Q==", "YQ==YQ==", "Y===", "YR==", "YWJ=", "Y\rQ==", "@@@@"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(error_of([&] { base64_decode(bad); }), Errc::malformed);
  }
}

const std::string kPlain =
    "Received: from mx by mx\n\tfor <list@example.com>; Sun, 29 Nov 2026 10:00:00 +0000\n"
    "From: Alice <alice@example.com>\n"
    "To: list@example.com\n"
    "Subject: Quarterly figures\n"
    "Date: Sun, 29 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <1@example.com>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "List-Id: <list.example.com>\n"
    "\n"
    "Grüße: the figures are up.\n";

Bytes fake_jcd() { return Bytes(1000, 0x42); }

TEST(MailMessage, MovesTheBodyFieldsInsideAndRestoresEveryByte) {
  for (bool protect : {false, true}) {
    SealPlan plan = seal_plan(kPlain, protect);
    EXPECT_EQ(plan.inner.find("From:"), std::string::npos);
    EXPECT_NE(plan.inner.find("Content-Type: text/plain; charset=utf-8\n"), std::string::npos);
    EXPECT_EQ(plan.inner.find("Subject:") != std::string::npos, protect);
    std::string sealed = sealed_message(plan, fake_jcd(), kBoundary);
    EXPECT_EQ(sealed.find("Grüße"), std::string::npos);
    EXPECT_NE(sealed.find("List-Id: <list.example.com>\n"), std::string::npos);
    EXPECT_EQ(sealed.find("Subject: Quarterly") == std::string::npos, protect);
    EXPECT_EQ(sealed.find("Subject: ...\n") != std::string::npos, protect);
    auto encrypted = open_encrypted(sealed);
    ASSERT_TRUE(encrypted);
    EXPECT_EQ(encrypted->jcd, fake_jcd());
    EXPECT_EQ(restore_message(*encrypted, plan.inner), kPlain);
  }
}

TEST(MailMessage, KeepsCrlfAndMessagesWithoutMimeFields) {
  std::string crlf = "From: a@example.com\r\nSubject: s\r\n\r\nplain\r\n";
  SealPlan plan = seal_plan(crlf, true);
  std::string sealed = sealed_message(plan, fake_jcd(), kBoundary);
  EXPECT_EQ(sealed.find("\n\n"), std::string::npos) << "a bare LF in a CRLF message";
  auto encrypted = open_encrypted(sealed);
  ASSERT_TRUE(encrypted);
  EXPECT_EQ(restore_message(*encrypted, plan.inner), crlf);
  // Nothing moves inside but the body: the inner entity has no fields.
  plan = seal_plan(crlf, false);
  EXPECT_EQ(plan.inner, "\r\nplain\r\n");
  encrypted = open_encrypted(sealed_message(plan, fake_jcd(), kBoundary));
  ASSERT_TRUE(encrypted);
  EXPECT_EQ(restore_message(*encrypted, plan.inner), crlf);
}

TEST(MailMessage, OtherMessagesAreNotOurs) {
  EXPECT_FALSE(open_encrypted(kPlain));
  EXPECT_FALSE(open_encrypted("not a message at all\n"));
  EXPECT_FALSE(
      open_encrypted("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
                     "boundary=x\n\n--x\n--x--\n"));
}

TEST(MailMessage, RefusesMalformedEncryptedMessages) {
  std::string sealed = sealed_message(seal_plan(kPlain, false), fake_jcd(), kBoundary);
  auto mutated = [&](std::string_view from, std::string_view to) {
    std::string s = sealed;
    std::size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    return s;
  };
  // Each refusal says which rule refused.
  EXPECT_NE(
      message_of([&] { open_encrypted(mutated("\nVersion: 1", "\nVersion: 2")); }).find("version"),
      std::string::npos);
  EXPECT_NE(message_of([&] {
              open_encrypted(mutated("--" + kBoundary + "--", ""));
            }).find("no close delimiter"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              open_encrypted(mutated("Content-Transfer-Encoding: base64", "X-Other: 1"));
            }).find("not in base64"),
            std::string::npos);
  EXPECT_NE(message_of([&] { open_encrypted(mutated("QkJC", "QkJ!")); }).find("alphabet"),
            std::string::npos);
  EXPECT_NE(message_of([&] {
              open_encrypted(
                  mutated("Content-Type: application/recrypt-jcd\n", "Content-Type: text/plain\n"));
            }).find("first part"),
            std::string::npos);
  EXPECT_NE(
      message_of([&] { open_encrypted(mutated("boundary=", "boundarx=")); }).find("no boundary"),
      std::string::npos);
  // A header this parser refuses, naming our format: an error, not a pass-through.
  EXPECT_EQ(error_of([&] { open_encrypted(mutated("From:", "From ")); }), Errc::malformed);
  // Encrypting twice is refused.
  EXPECT_NE(message_of([&] { seal_plan(sealed, false); }).find("encrypted already"),
            std::string::npos);
}

TEST(MailMessage, RefusesInnerFieldsEncryptionNeverMoves) {
  auto encrypted = open_encrypted(sealed_message(seal_plan(kPlain, false), fake_jcd(), kBoundary));
  ASSERT_TRUE(encrypted);
  EXPECT_NE(message_of([&] {
              restore_message(*encrypted, "From: mallory@example.com\n\nx");
            }).find("never moves: From"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { restore_message(*encrypted, "Subject: a\nSubject: b\n\nx"); }),
            Errc::malformed);
  EXPECT_EQ(restore_message(*encrypted, "Content-Type: text/plain\n\nx").find("Content-Type"),
            kPlain.find("MIME-Version"));
}

}  // namespace
}  // namespace recrypt::mail
