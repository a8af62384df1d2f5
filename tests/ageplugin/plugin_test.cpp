// The plugin's state machines driven as age drives them, with a stand-in for the agent.
#include "ageplugin/plugin.hpp"

#include <gtest/gtest.h>

namespace recrypt::age {
namespace {

class StringSink : public Sink {
 public:
  void write(std::string_view text) override { out += text; }
  std::string out;
};

// Opens stanzas with the group's private key, or refuses with a fixed reason.
class KeyUnwrapper : public Unwrapper {
 public:
  explicit KeyUnwrapper(const Scalar* key, std::string reason = "")
      : key_(key), reason_(std::move(reason)) {}
  SecureBytes unwrap(const RecryptStanza& stanza) override {
    ++calls;
    if (!reason_.empty()) throw Refused(reason_);
    auto k = unwrap_file_key(stanza, stanza.epk.times(*key_));
    if (!k) throw Refused("wrong key");
    return *k;
  }
  int calls = 0;

 private:
  const Scalar* key_;
  std::string reason_;
};

std::vector<Stanza> stanzas_of(const std::string& text) {
  MemorySource in(text);
  std::vector<Stanza> out;
  while (auto s = read_stanza(in)) out.push_back(std::move(*s));
  return out;
}

// Every command the plugin sends in phase 2 is answered "ok".
std::string oks(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += "-> ok\n\n";
  return out;
}

struct Group {
  Scalar a = Scalar::random(Curve::p256());
  GroupRecipient recipient{a.public_point(),
                           jwe::Locator{"team@example.com", "GID", "https://s.example.com"}};
  std::string text = encode_recipient(recipient);
};

TEST(AgePlugin, RecipientV1WrapsEveryFileKeyAndIgnoresGrease) {
  Group g;
  Bytes key1(16, 1), key2(16, 2);
  std::string in = "-> add-recipient " + g.text + "\n\n" + write_stanza({"grease-x", "a"}, key1) +
                   write_stanza({"wrap-file-key"}, key1) + write_stanza({"wrap-file-key"}, key2) +
                   "-> done\n\n" + oks(2);
  MemorySource src(in);
  StringSink out;
  ASSERT_EQ(run_recipient_v1(src, out), 0);
  auto sent = stanzas_of(out.out);
  ASSERT_EQ(sent.size(), 3u);
  KeyUnwrapper unwrapper(&g.a);
  for (std::size_t f = 0; f < 2; ++f) {
    EXPECT_EQ(sent[f].args[0], "recipient-stanza");
    EXPECT_EQ(sent[f].args[1], std::to_string(f));
    EXPECT_EQ(sent[f].args[2], "recrypt");
    std::vector<std::string> args(sent[f].args.begin() + 3, sent[f].args.end());
    SecureBytes key = unwrapper.unwrap(parse_stanza(args, sent[f].body));
    EXPECT_EQ(Bytes(key.begin(), key.end()), f == 0 ? key1 : key2);
  }
  EXPECT_EQ(sent[2].args[0], "done");
}

TEST(AgePlugin, RecipientV1ReportsABadRecipientAndWrapsNothing) {
  Group g;
  std::string bad = g.text;
  bad.back() = bad.back() == 'q' ? 'p' : 'q';
  std::string in = "-> add-recipient " + g.text + "\n\n-> add-recipient " + bad + "\n\n" +
                   write_stanza({"wrap-file-key"}, Bytes(16, 1)) + "-> done\n\n" + oks(1);
  MemorySource src(in);
  StringSink out;
  ASSERT_EQ(run_recipient_v1(src, out), 0);
  auto sent = stanzas_of(out.out);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].args, (std::vector<std::string>{"error", "recipient", "1"}));
  EXPECT_EQ(std::string(sent[0].body.begin(), sent[0].body.end()), "bech32: bad checksum");
  EXPECT_EQ(sent[1].args[0], "done");
}

TEST(AgePlugin, IdentityV1OpensOurStanzasAndIgnoresOthers) {
  Group g;
  RecryptStanza s0 = wrap_file_key(g.recipient, Bytes(16, 5));
  RecryptStanza s2 = wrap_file_key(g.recipient, Bytes(16, 6));
  auto relay = [](std::size_t file, const RecryptStanza& s) {
    std::vector<std::string> args{"recipient-stanza", std::to_string(file)};
    for (auto& a : s.args()) args.push_back(a);
    return write_stanza(args, s.wrapped);
  };
  std::string in = "-> add-identity " + identity() + "\n\n" + relay(0, s0) +
                   "-> recipient-stanza 0 X25519 abc\nAAAA\n" + "-> grease! x\n\n" +
                   "-> recipient-stanza 1 X25519 abc\nAAAA\n" + relay(2, s2) + "-> done\n\n" +
                   oks(2);
  MemorySource src(in);
  StringSink out;
  KeyUnwrapper unwrapper(&g.a);
  ASSERT_EQ(run_identity_v1(src, out, unwrapper), 0);
  auto sent = stanzas_of(out.out);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].args, (std::vector<std::string>{"file-key", "0"}));
  EXPECT_EQ(Bytes(sent[0].body.begin(), sent[0].body.end()), Bytes(16, 5));
  EXPECT_EQ(sent[1].args, (std::vector<std::string>{"file-key", "2"}));
  EXPECT_EQ(sent[2].args[0], "done");
  EXPECT_EQ(unwrapper.calls, 2);
}

TEST(AgePlugin, IdentityV1ReportsMalformedStanzasAndRefusals) {
  Group g;
  RecryptStanza s = wrap_file_key(g.recipient, Bytes(16, 5));
  std::vector<std::string> args{"recipient-stanza", "0"};
  for (auto& a : s.args()) args.push_back(a);
  std::vector<std::string> args1 = args;
  args1[1] = "1";
  std::string in = "-> add-identity " + identity() + "\n\n" +
                   "-> recipient-stanza 0 X25519 abc\nAAAA\n" +
                   write_stanza(args, ByteView(s.wrapped).first(20)) +
                   write_stanza(args1, s.wrapped) + "-> done\n\n" + oks(2);
  MemorySource src(in);
  StringSink out;
  KeyUnwrapper unwrapper(&g.a, "service: member is revoked");
  ASSERT_EQ(run_identity_v1(src, out, unwrapper), 0);
  auto sent = stanzas_of(out.out);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0].args, (std::vector<std::string>{"error", "stanza", "0", "1"}));
  EXPECT_EQ(std::string(sent[0].body.begin(), sent[0].body.end()),
            "recrypt stanza: a body of 20 bytes, not 24");
  EXPECT_EQ(sent[1].args, (std::vector<std::string>{"error", "stanza", "1", "0"}));
  EXPECT_EQ(std::string(sent[1].body.begin(), sent[1].body.end()), "service: member is revoked");
  EXPECT_EQ(unwrapper.calls, 1);  // the malformed file's stanzas are not tried
}

TEST(AgePlugin, IdentityV1RefusesAnotherPluginsIdentityBeforeOpeningAnything) {
  Group g;
  RecryptStanza s = wrap_file_key(g.recipient, Bytes(16, 5));
  std::vector<std::string> args{"recipient-stanza", "0"};
  for (auto& a : s.args()) args.push_back(a);
  std::string in = "-> add-identity AGE-PLUGIN-RECRYPT-1QYJ89J4Q\n\n" +
                   write_stanza(args, s.wrapped) + "-> done\n\n" + oks(1);
  MemorySource src(in);
  StringSink out;
  KeyUnwrapper unwrapper(&g.a);
  ASSERT_EQ(run_identity_v1(src, out, unwrapper), 0);
  auto sent = stanzas_of(out.out);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].args, (std::vector<std::string>{"error", "identity", "0"}));
  EXPECT_EQ(unwrapper.calls, 0);
}

TEST(AgePlugin, AHostileClientEndsTheRunWithoutAnswer) {
  Group g;
  KeyUnwrapper unwrapper(&g.a);
  for (std::string in :
       {std::string("-> add-identity x\n\n"),  // no "done"
        std::string("-> recipient-stanza 1 a\n\n-> recipient-stanza 0 a\n\n"),
        std::string("-> recipient-stanza 01 a\n\n-> done\n\n"),
        std::string("-> recipient-stanza 99999999 a\n\n-> done\n\n"),
        std::string("-> recipient-stanza 0\n\n-> done\n\n"), std::string("garbage\n")}) {
    MemorySource src(in);
    StringSink out;
    EXPECT_EQ(run_identity_v1(src, out, unwrapper), 1) << in;
    EXPECT_EQ(out.out, "") << in;
  }
  for (std::string in : {std::string("-> wrap-file-key\nAAAA\n-> done\n\n"),
                         std::string("-> add-recipient a b\n\n-> done\n\n")}) {
    MemorySource src(in);
    StringSink out;
    EXPECT_EQ(run_recipient_v1(src, out), 1) << in;
  }
  // The client leaves in phase 2 without answering: an error, not a hang.
  std::string in = "-> add-recipient " + g.text + "\n\n" +
                   write_stanza({"wrap-file-key"}, Bytes(16, 1)) + "-> done\n\n";
  MemorySource src(in);
  StringSink out;
  EXPECT_EQ(run_recipient_v1(src, out), 1);
}

}  // namespace
}  // namespace recrypt::age
