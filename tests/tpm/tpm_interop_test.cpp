// Interoperability with tpm2-tools: a share wrapped by wrap_share_for_tpm is accepted by
// `tpm2_import` (the tool that consumes `tpm2_duplicate` output), and the key tpm2-tools makes
// of it computes x·T in our backend; a secret wrapped by wrap_secret_for_tpm is imported by
// `tpm2_import` and opened by `tpm2_unseal`. This pins our formats to the standard
// construction.
#include <tss2/tss2_mu.h>

#include <cstdlib>
#include <fstream>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/key_store.hpp"
#include "tpm/marshal.hpp"
#include "tpm/sealed_wrap.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::testing {
namespace {

constexpr std::uint32_t kParentHandle = 0x81000001;

void write_file(const std::filesystem::path& p, ByteView data) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The size-prefixed structures from `off` (after the 5-byte header of tpm2-duplicate-v1), each
// with its size prefix.
std::vector<Bytes> split_duplicate(ByteView data, std::size_t off = 5) {
  std::vector<Bytes> parts;
  while (off + 2 <= data.size()) {
    const std::size_t n = (std::size_t{data[off]} << 8) | data[off + 1];
    parts.emplace_back(data.begin() + static_cast<std::ptrdiff_t>(off),
                       data.begin() + static_cast<std::ptrdiff_t>(off + 2 + n));
    off += 2 + n;
  }
  return parts;
}

TEST_F(TpmTest, WrappedShareIsAcceptedByTpm2Import) {
  if (std::system("command -v tpm2_import >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tpm2-tools are not installed";
  tpm::TpmConfig c = config();
  c.persistent_parent = kParentHandle;
  tpm::TpmParentPublic parent{Point::generator(Curve::p256())};
  {
    tpm::TpmBackend tpm(c, constant_pin("1"));
    parent = tpm.parent_public();
  }  // its slots are free again for tpm2-tools

  // The parent as tpm2-tools sees it: `tpm2_readpublic -o parent.pub` (what an admin using
  // tpm2_duplicate -U would hold) parses to the same key, and we marshal it identically.
  TempDir work("recrypt-interop");
  const auto dir = work.path();
  const std::string env = "TPM2TOOLS_TCTI='" + swtpm_->tcti() + "' ";
  const std::string readpublic = env + "tpm2_readpublic -c 0x81000001 -o " +
                                 (dir / "parent.pub").string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(readpublic.c_str()), 0) << readpublic;
  const Bytes parent_pub = read_file(dir / "parent.pub");
  EXPECT_EQ(tpm::TpmParentPublic::from_tpm2b_public(parent_pub).key, parent.key);
  EXPECT_EQ(parent.to_tpm2b_public(), parent_pub);

  const Scalar x = Scalar::random(Curve::p256());
  const auto wrapped = tpm::wrap_share_for_tpm(parent, x);
  const auto parts = split_duplicate(wrapped.data);
  ASSERT_EQ(parts.size(), 3u);
  write_file(dir / "dup.pub", parts[0]);
  write_file(dir / "dup.dpriv", parts[1]);
  write_file(dir / "dup.seed", parts[2]);

  const std::string cmd = env + "tpm2_import -C 0x81000001 -u " + (dir / "dup.pub").string() +
                          " -i " + (dir / "dup.dpriv").string() + " -s " +
                          (dir / "dup.seed").string() + " -r " + (dir / "out.priv").string() +
                          " >/dev/null 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  // Give the private area tpm2_import produced to our backend as a key file.
  const Bytes out_priv = read_file(dir / "out.priv");
  tpm::KeyBlob blob;
  blob.label = "from tpm2_import";
  blob.resident_share = true;
  blob.pub = tpm::unmarshal_public(parts[0], "dup.pub");
  std::size_t off = 0;
  ASSERT_EQ(Tss2_MU_TPM2B_PRIVATE_Unmarshal(out_priv.data(), out_priv.size(), &off, &blob.priv),
            TSS2_RC_SUCCESS);
  tpm::KeyStore(data_->path()).write("00000000000000aa", tpm::encode_key_blob(blob));

  tpm::TpmBackend tpm(c, constant_pin("1"));
  const Scalar t = Scalar::random(Curve::p256());
  const auto z = tpm.ecdh("00000000000000aa", t.public_point());
  EXPECT_EQ(Bytes(z.x.begin(), z.x.end()), t.public_point().times(x).x_bytes());
}

TEST_F(TpmTest, WrappedSecretIsImportedByTpm2ImportAndOpenedByTpm2Unseal) {
  if (std::system("command -v tpm2_import >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "tpm2-tools are not installed";
  tpm::TpmConfig c = config();
  c.persistent_parent = kParentHandle;
  tpm::TpmParentPublic parent{Point::generator(Curve::p256())};
  {
    tpm::TpmBackend tpm(c, constant_pin("1"));
    parent = tpm.parent_public();
  }

  const Bytes secret = Scalar::random(Curve::p256()).public_point().x_bytes();
  const auto wrapped = tpm::wrap_secret_for_tpm(parent, "g", secret);
  const auto parts = split_duplicate(wrapped.data, 5 + 2 + 1);  // after the label "g"
  ASSERT_EQ(parts.size(), 3u);
  TempDir work("recrypt-interop");
  const auto dir = work.path();
  write_file(dir / "dup.pub", parts[0]);
  write_file(dir / "dup.dpriv", parts[1]);
  write_file(dir / "dup.seed", parts[2]);
  const std::string env = "TPM2TOOLS_TCTI='" + swtpm_->tcti() + "' ";
  const std::string quiet = " >/dev/null 2>&1";
  const std::string import = env + "tpm2_import -C 0x81000001 -u " + (dir / "dup.pub").string() +
                             " -i " + (dir / "dup.dpriv").string() + " -s " +
                             (dir / "dup.seed").string() + " -r " + (dir / "out.priv").string() +
                             quiet;
  ASSERT_EQ(std::system(import.c_str()), 0) << import;
  const std::string load = env + "tpm2_load -C 0x81000001 -u " + (dir / "dup.pub").string() +
                           " -r " + (dir / "out.priv").string() + " -c " +
                           (dir / "sealed.ctx").string() + quiet;
  ASSERT_EQ(std::system(load.c_str()), 0) << load;
  // The empty auth value it travels with: tpm2_unseal needs no -p.
  const std::string unseal = env + "tpm2_unseal -c " + (dir / "sealed.ctx").string() + " -o " +
                             (dir / "secret").string() + quiet;
  ASSERT_EQ(std::system(unseal.c_str()), 0) << unseal;
  EXPECT_EQ(read_file(dir / "secret"), secret);
}

}  // namespace
}  // namespace recrypt::testing
