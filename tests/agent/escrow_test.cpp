// The group escrow file (agent/escrow.hpp): what it holds opens only with its recovery key,
// what it says of itself is checked against what it holds, and the recovery code is read as a
// person would type it.
#include <gtest/gtest.h>

#include "agent/escrow.hpp"
#include "base/error.hpp"
#include "protocol/jws.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
namespace {

const Curve& p256() { return Curve::p256(); }

struct Group {
  Scalar signing = Scalar::random(p256());
  Scalar old_key = Scalar::random(p256());
  Scalar key = Scalar::random(p256());
  std::string profile() const {
    service::GroupProfile doc{"team@example.com",   signing.public_point(),
                              key.public_point(),   {old_key.public_point()},
                              "http://127.0.0.1:1", "2026-11-29T00:00:00Z"};
    return doc.sign(jws::software_signer(signing));
  }
  EscrowSecrets secrets() const {
    EscrowSecrets s{profile(), signing.clone(), {}};
    s.keys.push_back(old_key.clone());
    s.keys.push_back(key.clone());
    return s;
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Escrow, OpensWithItsRecoveryKeyOnly) {
  Group g;
  Scalar recovery = Scalar::random(p256());
  EscrowFile file = seal_escrow(g.secrets(), recovery.public_point(),
                                DeviceRecovery{udf::key_fingerprint(recovery.public_point())});
  EscrowFile read = EscrowFile::parse(file.serialize());
  EXPECT_EQ(read.group, "team@example.com");
  EscrowSecrets opened = open_escrow(read, recovery);
  EXPECT_TRUE(opened.signing_key.equals(g.signing));
  ASSERT_EQ(opened.keys.size(), 2u);
  EXPECT_TRUE(opened.keys[0].equals(g.old_key));
  EXPECT_TRUE(opened.keys[1].equals(g.key));
  // The device path: the shared point d·T, as a device's ECDH gives it.
  Point shared = escrow_ephemeral_key(read).times(recovery);
  EXPECT_TRUE(open_escrow(read, {shared}).signing_key.equals(g.signing));
  try {
    open_escrow(read, Scalar::random(p256()));
    FAIL() << "another key opened the escrow";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::decrypt_failed);
  }
}

TEST(Escrow, ARecoveryCodeIsReadAsTypedAndAPassphraseExactly) {
  TypedRecovery code = new_typed_recovery(true);
  code.log_n = 10;
  SecureString made = recovery_code();
  std::string typed(made.data(), made.size());
  ASSERT_EQ(typed.size(), 39u);  // 8 groups of 4, 7 dashes
  std::string sloppy;
  for (char c : typed)
    if (c != '-') sloppy.push_back(static_cast<char>(std::tolower(c)));
  EXPECT_TRUE(typed_recovery_key(code, typed).equals(typed_recovery_key(code, " " + sloppy)));
  TypedRecovery pass = new_typed_recovery(false);
  pass.log_n = 10;
  EXPECT_FALSE(typed_recovery_key(pass, "Horse").equals(typed_recovery_key(pass, "horse")));
  EXPECT_NE(error_of([&] { (void)typed_recovery_key(code, " - "); }).find("empty"),
            std::string::npos);
}

TEST(Escrow, WhatTheFileSaysOfItselfMustMatchWhatItHolds) {
  Group g;
  Scalar recovery = Scalar::random(p256());
  EscrowFile file = seal_escrow(g.secrets(), recovery.public_point(), DeviceRecovery{"x"});
  file.group = "other@example.com";
  EscrowFile read = EscrowFile::parse(file.serialize());
  EXPECT_NE(error_of([&] {
              (void)open_escrow(read, recovery);
            }).find("says it is for group other@example.com"),
            std::string::npos);
}

TEST(Escrow, AKeyTheProfileDoesNotListIsRefused) {
  Group g;
  EscrowSecrets s = g.secrets();
  s.keys.push_back(Scalar::random(p256()));
  Scalar recovery = Scalar::random(p256());
  EscrowFile file = seal_escrow(s, recovery.public_point(), DeviceRecovery{"x"});
  EXPECT_NE(error_of([&] {
              (void)open_escrow(file, recovery);
            }).find("which the group's profile does not list"),
            std::string::npos);
}

TEST(Escrow, MalformedFilesAreRefusedForTheirReason) {
  Group g;
  Scalar recovery = Scalar::random(p256());
  EscrowFile file = seal_escrow(g.secrets(), recovery.public_point(), new_typed_recovery(true));
  Json j = Json::parse(file.serialize());
  auto refused = [](const Json& bad) { return error_of([&] { EscrowFile::parse(bad.dump()); }); };
  Json costly = j;
  costly["recovery"]["log_n"] = 21;
  EXPECT_NE(refused(costly).find("scrypt cost is out of range"), std::string::npos);
  Json extra = j;
  extra["note"] = "hello";
  EXPECT_NE(refused(extra).find("members other than"), std::string::npos);
  Json typed = j;
  typed["type"] = "recrypt-something";
  EXPECT_NE(refused(typed).find("its type is not recrypt-group-escrow"), std::string::npos);
  Json method = j;
  method["recovery"]["method"] = "fingerprint";
  EXPECT_NE(refused(method).find("unknown recovery method"), std::string::npos);
  EXPECT_NE(error_of([] { EscrowFile::parse("{\"type\":"); }).find("escrow file"),
            std::string::npos);
}

}  // namespace
}  // namespace recrypt::agent
