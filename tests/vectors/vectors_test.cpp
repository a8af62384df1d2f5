// Decrypts every checked-in vector of tests/vectors/ with the group keys, and with the
// member's share plus the service's recryption key, and compares with the expected plaintext.
#include <gtest/gtest.h>

#include <filesystem>

#include "protocol/atomic_file.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "tests/vectors/vector_keys.hpp"

using namespace recrypt;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = RECRYPT_VECTORS_DIR;

Scalar key_from(const Json& j) { return jwk::to_private(SecretJson::parse(j.dump())); }

struct Vector {
  Bytes file, plaintext;
  std::vector<Json> groups;
};

Vector load(const std::string& name) {
  Vector v{read_file(kDir / (name + ".jcd"), 1 << 24), read_file(kDir / (name + ".plaintext"), 1 << 24), {}};
  Bytes desc = read_file(kDir / (name + ".json"), 1 << 20);
  Json description = Json::parse(as_chars(desc));
  for (const auto& g : description.at("groups")) v.groups.push_back(g);
  return v;
}

// Z for one key agreement by the group key a, or by the split: R + P.
Point z_by_group_key(const Json& group, const Point& t) { return t.times(key_from(group.at("group_key"))); }
Point z_by_split(const Json& group, const Point& t) {
  Point r_t = recryption::partial(key_from(group.at("recryption_key")), t);
  Point x_t = t.times(key_from(group.at("member_share")));
  return recryption::combine(r_t, x_t);
}

const Json* group_for(const Vector& v, const std::string& kid) {
  for (const auto& g : v.groups)
    if (g.at("kid") == kid) return &g;
  return nullptr;
}

vectors::Opener opener(const Vector& v, bool use_split) {
  return [&v, use_split](const jwe::Recipient& r) -> std::optional<SecureBytes> {
    std::vector<Point> zs;
    for (const auto& a : r.agreements) {
      const Json* g = group_for(v, a.kid);
      if (g == nullptr) return std::nullopt;
      zs.push_back(use_split ? z_by_split(*g, a.epk) : z_by_group_key(*g, a.epk));
    }
    return jwe::try_unwrap(r, zs);
  };
}

class Vectors : public ::testing::TestWithParam<std::string> {};

TEST_P(Vectors, OpenWithGroupKey) {
  Vector v = load(GetParam());
  EXPECT_EQ(vectors::decrypt_jcd(v.file, opener(v, false)), v.plaintext);
}

TEST_P(Vectors, OpenWithShareAndRecryptionKey) {
  Vector v = load(GetParam());
  EXPECT_EQ(vectors::decrypt_jcd(v.file, opener(v, true)), v.plaintext);
}

TEST(VectorsAllOf, OneGroupAloneCannotOpen) {
  Vector v = load("all-of");
  Vector partial = v;
  partial.groups.resize(1);
  EXPECT_THROW(vectors::decrypt_jcd(v.file, opener(partial, false)), Error);
}

INSTANTIATE_TEST_SUITE_P(Checked, Vectors,
                         ::testing::Values("any-of", "two-groups-any-of", "all-of", "multi-segment", "one-full-segment",
                                           "empty"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
