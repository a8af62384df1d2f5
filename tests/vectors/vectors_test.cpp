// Runs every vector in tests/vectors/ (README.md there describes them): whatever .jcd files
// the folder holds, not a list kept here. A positive vector decrypts, with the group key and
// with a member's share plus the service's recryption key, to its .plaintext; a negative one
// fails with the error code and message its .json names, and leaves no output file behind.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "base/atomic_file.hpp"
#include "base/error.hpp"
#include "protocol/document_id.hpp"
#include "protocol/jwk.hpp"
#include "protocol/stream.hpp"
#include "protocol/udf.hpp"
#include "tests/vectors/vector_keys.hpp"

using namespace recrypt;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = RECRYPT_VECTORS_DIR;

// The vectors' names: every .jcd in the folder, sorted.
std::vector<std::string> vector_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kDir))
    if (entry.path().extension() == ".jcd") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

struct Vector {
  Bytes file;
  vectors::Description description;
  std::optional<Bytes> plaintext;  // present for a positive vector
};

Vector load(const std::string& name) {
  Vector v{read_file(kDir / (name + ".jcd"), 1 << 24),
           vectors::read_description(read_file(kDir / (name + ".json"), 1 << 20)), std::nullopt};
  if (fs::exists(kDir / (name + ".plaintext")))
    v.plaintext = read_file(kDir / (name + ".plaintext"), 1 << 24);
  return v;
}

// A folder of its own for one decryption's output.
class OutputDir {
 public:
  explicit OutputDir(const std::string& name)
      : path_(fs::temp_directory_path() /
              ("recrypt-vector-" + name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~OutputDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Decrypts as a reader does: into a temporary file that becomes the output only when the
// whole file authenticated.
struct Outcome {
  std::optional<Error> error;
  std::optional<Bytes> output;  // the output file, if one was left behind
  std::size_t files_left = 0;   // everything in the output folder afterwards
};

Outcome decrypt(const Vector& v, vectors::KeyUse use, const std::string& name) {
  OutputDir dir(name);
  const fs::path target = dir.path() / "plaintext";
  Outcome outcome;
  try {
    AtomicFile out(target, 0600, {.sync = Sync::none, .unnamed = true});
    FdSink sink(out.fd());
    vectors::decrypt_jcd(v.file, vectors::opener(v.description, use), sink);
    out.commit();
  } catch (const Error& e) {
    outcome.error = e;
  }
  if (fs::exists(target)) outcome.output = read_file(target, 1 << 24);
  outcome.files_left = static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()));
  return outcome;
}

class Vectors : public ::testing::TestWithParam<std::string> {
 protected:
  void check(vectors::KeyUse use) {
    Vector v = load(GetParam());
    ASSERT_NE(v.plaintext.has_value(), v.description.error.has_value())
        << GetParam() << ": a vector has either a .plaintext or an expected error";
    Outcome got = decrypt(v, use, GetParam());
    if (v.plaintext) {
      ASSERT_FALSE(got.error.has_value()) << got.error->what();
      EXPECT_EQ(got.output, v.plaintext);
      return;
    }
    ASSERT_TRUE(got.error.has_value())
        << GetParam() << " decrypted, but must fail with: " << v.description.error->message;
    EXPECT_EQ(errc_name(got.error->code()), v.description.error->code) << got.error->what();
    EXPECT_EQ(got.error->what(), v.description.error->message);
    EXPECT_FALSE(got.output.has_value()) << "a refused file left its plaintext behind";
    EXPECT_EQ(got.files_left, 0u) << "a refused file left a temporary file behind";
  }
};

TEST_P(Vectors, WithGroupKey) { check(vectors::KeyUse::group_key); }
TEST_P(Vectors, WithShareAndRecryptionKey) { check(vectors::KeyUse::share_and_recryption_key); }

INSTANTIATE_TEST_SUITE_P(Folder, Vectors, ::testing::ValuesIn(vector_names()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string n = param_info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// Every file belongs to a vector, every vector is whole, and the README names each one.
TEST(VectorsFolder, EveryVectorIsCompleteAndDescribed) {
  std::set<std::string> names;
  for (const std::string& n : vector_names()) names.insert(n);
  std::size_t positive = 0, negative = 0;
  for (const std::string& n : names) {
    SCOPED_TRACE(n);
    ASSERT_TRUE(fs::exists(kDir / (n + ".json")));
    Vector v = load(n);
    EXPECT_NE(v.plaintext.has_value(), v.description.error.has_value());
    EXPECT_FALSE(v.description.groups.empty());
    (v.plaintext ? positive : negative) += 1;
  }
  EXPECT_GT(positive, 0u);
  EXPECT_GT(negative, 0u);
  for (const auto& entry : fs::directory_iterator(kDir)) {
    const fs::path& p = entry.path();
    if (p.extension() == ".json" || p.extension() == ".plaintext") {
      EXPECT_EQ(names.count(p.stem().string()), 1u) << p.filename() << " has no .jcd";
    }
  }
  std::string readme(as_chars(read_file(kDir / "README.md", 1 << 20)));
  for (const std::string& n : names)
    EXPECT_NE(readme.find("`" + n + "`"), std::string::npos) << n << " is not in README.md";
}

// The locator of every key agreement names its group by the group's real id: the UDF of the
// group's signing key, which the .json gives.
TEST(VectorsFolder, GroupIdsAreTheGroupsSigningKeys) {
  std::size_t checked = 0;
  for (const std::string& n : vector_names()) {
    SCOPED_TRACE(n);
    Vector v = load(n);
    for (const vectors::Group& g : v.description.groups) {
      EXPECT_EQ(g.group_id, udf::key_fingerprint(g.signing_key));
      EXPECT_EQ(g.kid, udf::key_fingerprint(g.a.public_point()));
    }
    if (!v.plaintext) continue;  // a negative vector's header may be the thing refused
    MemorySource source(v.file);
    BufferedInput in(source);
    jcd::Header header = jcd::read_header(in);
    for (const jwe::Recipient& r : header.envelope.recipients) {
      for (const jwe::KeyAgreement& a : r.agreements) {
        auto g = std::find_if(v.description.groups.begin(), v.description.groups.end(),
                              [&](const vectors::Group& group) { return group.kid == a.kid; });
        ASSERT_NE(g, v.description.groups.end()) << a.kid;
        ASSERT_TRUE(a.locator.has_value());
        EXPECT_EQ(a.locator->group, g->name);
        EXPECT_EQ(a.locator->group_id, g->group_id);
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 0u);
}

// Each positive vector names its document id and its key agreements' ids (FORMAT.md §10),
// which document_ids.py computes from the definition on its own: here the library's agree.
TEST(VectorsFolder, DocumentIdsAndAgreementIds) {
  std::size_t checked = 0;
  for (const std::string& n : vector_names()) {
    SCOPED_TRACE(n);
    Vector v = load(n);
    if (!v.plaintext) continue;
    ASSERT_TRUE(v.description.document_id.has_value()) << "a positive vector names its id";
    MemorySource source(v.file);
    BufferedInput in(source);
    jwe::Envelope envelope = jcd::read_header(in).envelope;
    EXPECT_EQ(document::document_id(envelope), *v.description.document_id);
    EXPECT_EQ(document::agreement_ids(envelope, [](const jwe::KeyAgreement&) { return true; }),
              v.description.agreements);
    ++checked;
  }
  EXPECT_GT(checked, 0u);
}

// The document id leaves the recipients out: the same content sent to another group keeps
// it. It covers the rest: another iv, or a changed tag, is another document.
TEST(VectorsDocumentId, RecipientsAreLeftOut) {
  Vector v = load("two-groups-any-of");
  MemorySource source(v.file);
  BufferedInput in(source);
  jwe::Envelope envelope = jcd::read_header(in).envelope;
  const std::string id = document::document_id(envelope);
  jwe::Envelope fewer = envelope;
  fewer.recipients.pop_back();
  EXPECT_EQ(document::document_id(fewer), id);
  jwe::Envelope other_tag = envelope;
  other_tag.tag[0] ^= 1;
  EXPECT_NE(document::document_id(other_tag), id);
  // Only the agreements a reader asks for, here those of the second group.
  const std::string second = v.description.groups[1].group_id;
  EXPECT_EQ(document::agreement_ids(envelope,
                                    [&](const jwe::KeyAgreement& a) {
                                      return a.locator && a.locator->group_id == second;
                                    }),
            std::vector<std::string>{v.description.agreements[1]});
}

TEST(VectorsAllOf, OneGroupAloneCannotOpen) {
  Vector v = load("all-of");
  v.description.groups.erase(v.description.groups.begin() + 1, v.description.groups.end());
  MemorySink out;
  try {
    vectors::decrypt_jcd(v.file, vectors::opener(v.description, vectors::KeyUse::group_key), out);
    FAIL() << "one group of two opened an all-of recipient";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::decrypt_failed);
    EXPECT_STREQ(e.what(), "no recipient opens with the vector's keys");
  }
  EXPECT_TRUE(out.data().empty());
}

}  // namespace
