// Writes the test vectors of docs/FORMAT.md §8 into a folder. Run once; the output is
// checked in, and vectors_test.cpp decrypts it on every test run. Usage: make_vectors DIR
#include <filesystem>
#include <iostream>

#include "protocol/atomic_file.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"

using namespace recrypt;
namespace fs = std::filesystem;

namespace {

struct Group {
  std::string name;
  recryption::GroupKey key;
  recryption::MemberSplit split;
};

Group make_group(const std::string& name) {
  auto key = recryption::GroupKey::generate(Curve::p256());
  auto split = recryption::split(key.secret);
  return Group{name, std::move(key), std::move(split)};
}

Json private_jwk(const Scalar& s) {
  SecretJson j = jwk::from_private(s);
  return Json::parse(j.dump().c_str());
}

Json group_json(const Group& g) {
  return Json{{"name", g.name},
              {"group_key", private_jwk(g.key.secret)},
              {"member_share", private_jwk(g.split.share)},
              {"recryption_key", private_jwk(g.split.recryption_key)},
              {"kid", udf::key_fingerprint(g.key.public_key)}};
}

jwe::RecipientKey recipient(const Group& g) {
  return jwe::RecipientKey{g.key.public_key, "", jwe::Locator{g.name, "TEST-GROU-PIDX-XXXX-XXXX-XXXX-XXXX", "http://127.0.0.1:8080"}};
}

void write(const fs::path& dir, const std::string& name, const Json& description, const Bytes& plaintext,
           const std::vector<jwe::RecipientSpec>& recipients, const jcd::FileInfo& info) {
  MemorySink sink;
  jcd::Encryptor enc(sink, recipients, info);
  enc.update(plaintext);
  enc.finish();
  write_file_atomic(dir / (name + ".jcd"), sink.data(), 0644);
  write_file_atomic(dir / (name + ".plaintext"), plaintext, 0644);
  write_file_atomic(dir / (name + ".json"), as_bytes(description.dump(2) + "\n"), 0644);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_vectors DIR\n";
    return 2;
  }
  fs::path dir = argv[1];
  Group accounting = make_group("accounting@example.com");
  Group executive = make_group("executive@example.com");

  std::string hello = "Hello, recrypt.\n";
  write(dir, "any-of", Json{{"description", "one group recipient; open with the group key or with share + recryption key"},
                            {"groups", {group_json(accounting)}}},
        Bytes(hello.begin(), hello.end()), {{recipient(accounting)}},
        jcd::FileInfo{"hello.txt", "text/plain", "2026-11-22T00:00:00Z"});

  write(dir, "two-groups-any-of", Json{{"description", "two recipients, one per group; either group opens it"},
                                       {"groups", {group_json(accounting), group_json(executive)}}},
        Bytes(hello.begin(), hello.end()), {{recipient(accounting)}, {recipient(executive)}}, {});

  write(dir, "all-of", Json{{"description", "one ECDH-ES-ALLOF+A256KW recipient: needs both groups' Z, in parts order"},
                            {"groups", {group_json(accounting), group_json(executive)}}},
        Bytes(hello.begin(), hello.end()), {{recipient(accounting), recipient(executive)}}, {});

  Bytes big(3 * jcd::kSegmentSize + 1000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i % 251);
  write(dir, "multi-segment", Json{{"description", "3 full segments and a last one of 1000 bytes; byte i is i mod 251"},
                                   {"groups", {group_json(accounting)}}},
        big, {{recipient(accounting)}}, {});

  Bytes exact(jcd::kSegmentSize, 0x61);
  write(dir, "one-full-segment", Json{{"description", "exactly 65536 bytes: one full segment that is the last"},
                                      {"groups", {group_json(accounting)}}},
        exact, {{recipient(accounting)}}, {});

  write(dir, "empty", Json{{"description", "empty plaintext: one empty last segment"}, {"groups", {group_json(accounting)}}},
        Bytes{}, {{recipient(accounting)}}, {});
  std::cout << "wrote vectors to " << dir << "\n";
  return 0;
}
