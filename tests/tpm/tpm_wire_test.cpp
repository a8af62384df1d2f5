// Parameter encryption, checked on the wire: every byte between the backend and the TPM is
// captured with tpm2-tss's pcap TCTI, and the secrets (ECDH result, sealed secret, PIN) must
// not appear in it, while public values (the peer point) do, which shows the capture works.
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <tss2/tss2_esys.h>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/esys_object.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::testing {
namespace {

bool contains(const Bytes& haystack, ByteView needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

Bytes read_capture(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Control: an ECDH_ZGen without parameter encryption, captured the same way, shows its result.
TEST_F(TpmTest, UnencryptedZGenIsVisibleInTheCapture) {
  const auto capture = data_->path() / "plain.pcap";
  ::setenv("TCTI_PCAP_FILE", capture.c_str(), 1);
  Bytes z_x;
  const Scalar t = Scalar::random(Curve::p256());
  {
    auto ctx = tpm::EsysContext::open("pcap:" + swtpm_->tcti());
    TPM2B_SENSITIVE_CREATE sens{};
    TPM2B_PUBLIC tmpl{};
    tmpl.publicArea.type = TPM2_ALG_ECC;
    tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
    tmpl.publicArea.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_DECRYPT |
                                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA;
    auto& ecc = tmpl.publicArea.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_NULL;
    ecc.curveID = TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION pcrs{};
    ESYS_TR handle = ESYS_TR_NONE;
    tpm::check_rc("CreatePrimary",
                  Esys_CreatePrimary(ctx.get(), ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                     ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &handle, nullptr,
                                     nullptr, nullptr, nullptr));
    tpm::EsysObject key(ctx.get(), handle);
    TPM2B_ECC_POINT in{};
    const Bytes x = t.public_point().x_bytes(), y = t.public_point().y_bytes();
    in.point.x.size = in.point.y.size = 32;
    std::copy(x.begin(), x.end(), in.point.x.buffer);
    std::copy(y.begin(), y.end(), in.point.y.buffer);
    TPM2B_ECC_POINT* out = nullptr;
    tpm::check_rc("ECDH_ZGen", Esys_ECDH_ZGen(ctx.get(), key.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                              ESYS_TR_NONE, &in, &out));
    z_x.assign(out->point.x.buffer, out->point.x.buffer + out->point.x.size);
    Esys_Free(out);
  }
  ::unsetenv("TCTI_PCAP_FILE");
  EXPECT_TRUE(contains(read_capture(capture), z_x));
}

TEST_F(TpmTest, SecretsNeverCrossTheWireInTheClear) {
  const auto capture = data_->path() / "wire.pcap";
  ::setenv("TCTI_PCAP_FILE", capture.c_str(), 1);
  tpm::TpmConfig c = config();
  c.tcti = "pcap:" + swtpm_->tcti();
  const std::string pin = "pin-7f3a9c21-wire";
  const Bytes secret(32, 0xC5);
  const Scalar t = Scalar::random(Curve::p256());
  const Point T = t.public_point();
  Bytes z_x, z_y;
  {
    tpm::TpmBackend tpm(c, constant_pin(pin));
    const auto key = tpm.generate_key("e", backend::KeyPurpose::encryption);
    const auto z = tpm.ecdh(key.id, T);
    z_x.assign(z.x.begin(), z.x.end());
    z_y.assign(z.y->begin(), z.y->end());
    EXPECT_EQ(z_x, key.public_key.times(t).x_bytes());
    const Bytes blob = tpm.seal("g", secret);
    EXPECT_EQ(tpm.unseal(blob).size(), secret.size());
  }
  ::unsetenv("TCTI_PCAP_FILE");

  const Bytes wire = read_capture(capture);
  ASSERT_GT(wire.size(), 1000u) << "nothing captured";
  EXPECT_TRUE(contains(wire, T.x_bytes())) << "the capture misses plain public values";
  EXPECT_FALSE(contains(wire, z_x)) << "ECDH result x in the clear";
  EXPECT_FALSE(contains(wire, z_y)) << "ECDH result y in the clear";
  EXPECT_FALSE(contains(wire, secret)) << "sealed secret in the clear";
  EXPECT_FALSE(contains(wire, as_bytes(pin))) << "PIN in the clear";
}

}  // namespace
}  // namespace recrypt::testing
