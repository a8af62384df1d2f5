// Device keys made in the TPM: ECDH against a software computation, ECDSA verified by OpenSSL,
// listing, persistence across backend instances and swtpm restarts.
#include <tss2/tss2_esys.h>

#include <filesystem>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/esys_object.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyPurpose;

const Curve& p256() { return Curve::p256(); }

TEST_F(TpmTest, EcdhEqualsSoftwareComputation) {
  auto tpm = make_backend();
  const auto key = tpm->generate_key("laptop encryption", KeyPurpose::encryption);
  EXPECT_EQ(key.purpose, KeyPurpose::encryption);
  EXPECT_FALSE(key.resident_share);
  for (int i = 0; i < 3; ++i) {
    // peer = t·G; the TPM's x·peer must equal t·(x·G) computed in software.
    const Scalar t = Scalar::random(p256());
    const auto result = tpm->ecdh(key.id, t.public_point());
    const Point expected = key.public_key.times(t);
    ASSERT_TRUE(result.y.has_value());
    EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), expected.x_bytes());
    EXPECT_EQ(Bytes(result.y->begin(), result.y->end()), expected.y_bytes());
  }
}

TEST_F(TpmTest, SignatureVerifiesWithOpenSsl) {
  auto tpm = make_backend();
  const auto key = tpm->generate_key("laptop signing", KeyPurpose::signing);
  const std::string message = R"({"AddMemberRequest":{}})";
  const Bytes sig = tpm->sign_digest(key.id, sha256(message));
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(verify_es256(key.public_key, message, sig));
  EXPECT_FALSE(verify_es256(key.public_key, "another message", sig));
}

TEST_F(TpmTest, SignRejectsWrongDigestSize) {
  auto tpm = make_backend();
  const auto key = tpm->generate_key("s", KeyPurpose::signing);
  const Bytes short_digest(20, 1);
  EXPECT_THROW(tpm->sign_digest(key.id, short_digest), Error);
}

TEST_F(TpmTest, KeyPurposeIsEnforced) {
  auto tpm = make_backend();
  const auto enc = tpm->generate_key("e", KeyPurpose::encryption);
  const auto sig = tpm->generate_key("s", KeyPurpose::signing);
  expect_backend_error(BackendErrc::unsupported, [&] { tpm->sign_digest(enc.id, sha256("m")); });
  expect_backend_error(BackendErrc::unsupported,
                       [&] { tpm->ecdh(sig.id, Point::generator(p256())); });
}

TEST_F(TpmTest, UnknownKeyIsNoSuchKey) {
  auto tpm = make_backend();
  expect_backend_error(BackendErrc::no_such_key,
                       [&] { tpm->ecdh("0123456789abcdef", Point::generator(p256())); });
  expect_backend_error(BackendErrc::no_such_key,
                       [&] { tpm->ecdh("../../etc/passwd", Point::generator(p256())); });
}

TEST_F(TpmTest, ListKeysAndFilePermissions) {
  auto tpm = make_backend();
  const auto a = tpm->generate_key("first", KeyPurpose::encryption);
  const auto b = tpm->generate_key("second", KeyPurpose::signing);
  const auto keys = tpm->list_keys();
  ASSERT_EQ(keys.size(), 2u);
  for (const auto& k : keys) {
    const auto& want = k.id == a.id ? a : b;
    EXPECT_EQ(k.label, want.label);
    EXPECT_EQ(k.purpose, want.purpose);
    EXPECT_EQ(k.public_key, want.public_key);
    const auto perms = std::filesystem::status(data_->path() / (k.id + ".key")).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  // No temporary files left behind by the atomic writes.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(data_->path())) ++files;
  EXPECT_EQ(files, 2u);
}

TEST_F(TpmTest, KeysPersistAcrossBackendInstances) {
  std::string id;
  Point pub = Point::generator(p256());
  {
    auto tpm = make_backend();
    const auto key = tpm->generate_key("k", KeyPurpose::encryption);
    id = key.id;
    pub = key.public_key;
  }
  auto tpm = make_backend();
  const Scalar t = Scalar::random(p256());
  const auto result = tpm->ecdh(id, t.public_point());
  EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), pub.times(t).x_bytes());
}

TEST_F(TpmTest, KeysPersistAcrossSwtpmRestart) {
  auto tpm = make_backend();
  const auto enc = tpm->generate_key("k", KeyPurpose::encryption);
  const auto sig = tpm->generate_key("s", KeyPurpose::signing);
  const auto parent_before = tpm->parent_public().key;
  tpm.reset();
  swtpm_->restart();  // state directory kept: same seeds, so the same storage parent
  tpm = make_backend();
  EXPECT_EQ(tpm->parent_public().key, parent_before);
  const Scalar t = Scalar::random(p256());
  const auto result = tpm->ecdh(enc.id, t.public_point());
  EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), enc.public_key.times(t).x_bytes());
  EXPECT_TRUE(verify_es256(sig.public_key, "m", tpm->sign_digest(sig.id, sha256("m"))));
}

TEST_F(TpmTest, PointsNotOnTheCurveAreRejected) {
  // Our Point type refuses them before any TPM sees them...
  Bytes x(32, 0), y(32, 0);
  x[31] = 1;
  y[31] = 1;
  EXPECT_THROW(Point::from_coordinates(p256(), x, y), Error);
  // ...and the TPM refuses them too (TPM_RC_ECC_POINT), which check_rc reports clearly.
  // (A raw context: the backend's API cannot even express an off-curve point.)
  auto ctx = tpm::EsysContext::open(swtpm_->tcti());
  TPM2B_SENSITIVE_CREATE sens{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION pcrs{};
  TPM2B_PUBLIC tmpl{};
  tmpl.publicArea.type = TPM2_ALG_ECC;
  tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
  tmpl.publicArea.objectAttributes = TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_DECRYPT |
                                     TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_NODA;
  tmpl.publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
  tmpl.publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
  tmpl.publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
  tmpl.publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
  ESYS_TR handle = ESYS_TR_NONE;
  ASSERT_EQ(Esys_CreatePrimary(ctx.get(), ESYS_TR_RH_NULL, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &handle, nullptr,
                               nullptr, nullptr, nullptr),
            TSS2_RC_SUCCESS);
  tpm::EsysObject primary(ctx.get(), handle);
  TPM2B_ECC_POINT bad{};
  bad.point.x.size = 32;
  bad.point.y.size = 32;
  bad.point.x.buffer[31] = 1;
  bad.point.y.buffer[31] = 1;
  TPM2B_ECC_POINT* out = nullptr;
  const TSS2_RC rc = Esys_ECDH_ZGen(ctx.get(), primary.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                    ESYS_TR_NONE, &bad, &out);
  Esys_Free(out);
  EXPECT_EQ(tpm::tpm_rc_base(rc), static_cast<TSS2_RC>(TPM2_RC_ECC_POINT));
  const auto msg =
      expect_backend_error(BackendErrc::device, [&] { tpm::check_rc("TPM2_ECDH_ZGen", rc); });
  EXPECT_NE(msg.find("not on the key's curve"), std::string::npos) << msg;
}

// lock() flushes what the backend keeps loaded (keys, the salted session) and nothing else:
// the keys, seals and the next operations work as before.
TEST_F(TpmTest, LockFlushesLoadedObjectsAndOperationsGoOn) {
  auto tpm = make_backend();
  const auto key = tpm->generate_key("laptop encryption", KeyPurpose::encryption);
  const Bytes sealed = tpm->seal("group", as_bytes("group master key"));
  const Scalar t = Scalar::random(p256());
  tpm->ecdh(key.id, t.public_point());
  const auto before = tpm->loaded_handles();
  EXPECT_GE(before.transient, 2u);  // the parent and the key
  EXPECT_GE(before.sessions, 1u);   // the salted session of the ECDH path

  tpm->lock();
  const auto after = tpm->loaded_handles();  // reconnects: only the parent again
  EXPECT_EQ(after.transient, 1u);
  EXPECT_EQ(after.sessions, 0u);

  const auto result = tpm->ecdh(key.id, t.public_point());
  EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), key.public_key.times(t).x_bytes());
  const SecureBytes opened = tpm->unseal(sealed);
  EXPECT_EQ(as_chars(opened), "group master key");
  tpm->lock();
  tpm->lock();  // twice in a row, and with nothing loaded, is fine
  EXPECT_EQ(tpm->list_keys().size(), 1u);
}

}  // namespace
}  // namespace recrypt::testing
