// The backend against a TPM that goes away, comes back, runs out of slots, or is used a lot:
// clean errors, reconnection, and no leaked handles.
#include <tss2/tss2_esys.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include "protocol/scalar.hpp"
#include "tests/tpm/tpm_test_util.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/share_wrap.hpp"

namespace recrypt::testing {
namespace {

using backend::BackendErrc;
using backend::KeyPurpose;

const Curve& p256() { return Curve::p256(); }

TEST_F(TpmTest, SwtpmKilledThenRestartedReconnects) {
  auto tpm = make_backend();
  const auto key = tpm->generate_key("k", KeyPurpose::encryption);
  const Point T = Scalar::random(p256()).public_point();
  EXPECT_TRUE(tpm->present());
  tpm->ecdh(key.id, T);

  swtpm_->kill();
  const auto start = std::chrono::steady_clock::now();
  try {
    tpm->ecdh(key.id, T);
    ADD_FAILURE() << "ECDH on a dead TPM succeeded";
  } catch (const backend::BackendError& e) {
    EXPECT_TRUE(e.code() == BackendErrc::not_present || e.code() == BackendErrc::device)
        << backend::backend_errc_name(e.code()) << ": " << e.what();
  }
  EXPECT_FALSE(tpm->present());
  expect_backend_error(BackendErrc::not_present, [&] { tpm->sign_digest(key.id, sha256("m")); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << "no hang";

  swtpm_->restart();
  EXPECT_TRUE(tpm->present());
  const Scalar t = Scalar::random(p256());
  const auto result = tpm->ecdh(key.id, t.public_point());
  EXPECT_EQ(Bytes(result.x.begin(), result.x.end()), key.public_key.times(t).x_bytes());
}

TEST_F(TpmTest, TpmResetUnderUsIsRecoveredTransparently) {
  // swtpm restarted between two calls (without the backend seeing a failure first): every
  // handle the backend cached is gone; the next call must still work.
  auto tpm = make_backend();
  const auto key = tpm->generate_key("k", KeyPurpose::encryption);
  tpm->ecdh(key.id, Point::generator(p256()));
  swtpm_->restart();
  const Scalar t = Scalar::random(p256());
  BackendErrc code{};
  bool threw = false;
  try {
    const auto r = tpm->ecdh(key.id, t.public_point());
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), key.public_key.times(t).x_bytes());
  } catch (const backend::BackendError& e) {
    threw = true;
    code = e.code();
  }
  if (threw) {
    // Acceptable only as a clean transport error; the call after it must work.
    EXPECT_TRUE(code == BackendErrc::not_present || code == BackendErrc::device);
    const auto r = tpm->ecdh(key.id, t.public_point());
    EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), key.public_key.times(t).x_bytes());
  }
}

TEST_F(TpmTest, NoTpmIsNotPresent) {
  const int port = swtpm_->port();
  swtpm_->kill();
  tpm::TpmConfig c = config();
  c.tcti = "swtpm:host=127.0.0.1,port=" + std::to_string(port);
  tpm::TpmBackend tpm(c, constant_pin("1"));
  EXPECT_FALSE(tpm.present());
  expect_backend_error(BackendErrc::not_present,
                       [&] { tpm.generate_key("k", KeyPurpose::encryption); });
  c.tcti = "device:/nonexistent/tpmrm0";
  tpm::TpmBackend dev(c, constant_pin("1"));
  expect_backend_error(BackendErrc::not_present, [&] { dev.parent_public(); });
}

TEST_F(TpmTest, UnreadableDeviceIsPermission) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can open any device node";
  const auto node = data_->path() / "tpmrm0";
  { std::ofstream(node.string()) << ""; }
  std::filesystem::permissions(node, std::filesystem::perms::none);
  tpm::TpmConfig c = config();
  c.tcti = "device:" + node.string();
  tpm::TpmBackend tpm(c, constant_pin("1"));
  const auto msg = expect_backend_error(BackendErrc::permission, [&] { tpm.parent_public(); });
  EXPECT_NE(msg.find("tss"), std::string::npos) << msg;
}

TEST_F(TpmTest, MakingAKeyWhileCachedKeysFillTheTpmFlushesOne) {
  // Two signing keys in use take swtpm's 3 object slots with the parent. TPM2_Create needs a
  // slot too: making a key or sealing a secret flushes a cached key instead of failing.
  auto tpm = make_backend();
  const auto a = tpm->generate_key("a", KeyPurpose::signing);
  const auto b = tpm->generate_key("b", KeyPurpose::signing);
  tpm->sign_digest(a.id, sha256("a"));
  tpm->sign_digest(b.id, sha256("b"));
  const auto c = tpm->generate_key("c", KeyPurpose::signing);
  tpm->sign_digest(c.id, sha256("c"));
  const Bytes blob = tpm->seal("g", Bytes(16, 0x5A));
  EXPECT_EQ(tpm->unseal(blob), SecureBytes(16, 0x5A));
  tpm->sign_digest(a.id, sha256("a again"));
  EXPECT_LE(tpm->loaded_handles().transient, 3u);
}

TEST_F(TpmTest, LongLoopLeavesOnlyDeliberateHandles) {
  auto tpm = make_backend();
  const auto enc = tpm->generate_key("e", KeyPurpose::encryption);
  const auto sig = tpm->generate_key("s", KeyPurpose::signing);
  const Scalar x = Scalar::random(p256());
  const auto share = tpm->import_share("x", tpm::wrap_share_for_tpm(tpm->parent_public(), x));
  const Bytes blob = tpm->seal("g", Bytes(16, 0x5A));
  const Point T = Scalar::random(p256()).public_point();
  for (int i = 0; i < 200; ++i) {
    // Three keys and a sealed object in turn on a TPM with 3 object slots, one of them the
    // parent's: the cache must evict and reload without ever leaking a slot.
    const auto a = tpm->ecdh(enc.id, T);
    const auto b = tpm->ecdh(share.id, T);
    ASSERT_EQ(Bytes(b.x.begin(), b.x.end()), T.times(x).x_bytes());
    tpm->sign_digest(sig.id, sha256(std::to_string(i)));
    if (i % 10 == 0) {
      ASSERT_EQ(tpm->unseal(blob).size(), 16u);
    }
    if (i % 50 == 0) tpm->seal("g", Bytes(8, 1));
  }
  const auto counts = tpm->loaded_handles();
  // The parent plus at most the keys the cache keeps (swtpm has 3 object slots).
  EXPECT_GE(counts.transient, 1u);
  EXPECT_LE(counts.transient, 3u);
  EXPECT_EQ(counts.sessions, 1u);  // the shared salted session; per-call sessions are gone

  // Destroying the backend flushes everything it kept.
  tpm.reset();
  auto ctx = tpm::EsysContext::open(swtpm_->tcti());
  for (TPM2_HANDLE first : {TPM2_TRANSIENT_FIRST, TPM2_LOADED_SESSION_FIRST}) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* cap = nullptr;
    ASSERT_EQ(Esys_GetCapability(ctx.get(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                 TPM2_CAP_HANDLES, first, TPM2_MAX_CAP_HANDLES, &more, &cap),
              TSS2_RC_SUCCESS);
    std::size_t n = 0;
    for (UINT32 i = 0; i < cap->data.handles.count; ++i)
      if ((cap->data.handles.handle[i] & TPM2_HR_RANGE_MASK) == (first & TPM2_HR_RANGE_MASK)) ++n;
    Esys_Free(cap);
    EXPECT_EQ(n, 0u) << std::hex << first;
  }
}

TEST_F(TpmTest, ConcurrentCallersAreSerialised) {
  auto tpm = make_backend();
  const auto enc = tpm->generate_key("e", KeyPurpose::encryption);
  const auto sig = tpm->generate_key("s", KeyPurpose::signing);
  const Scalar t = Scalar::random(p256());
  const Bytes expected = enc.public_key.times(t).x_bytes();
  const Point T = t.public_point();
  std::atomic<int> failures{0};
  auto worker = [&](bool sign) {
    for (int i = 0; i < 25; ++i) {
      try {
        if (sign) {
          if (!verify_es256(sig.public_key, "m", tpm->sign_digest(sig.id, sha256("m")))) ++failures;
        } else {
          const auto r = tpm->ecdh(enc.id, T);
          if (Bytes(r.x.begin(), r.x.end()) != expected) ++failures;
        }
      } catch (const std::exception&) {
        ++failures;
      }
    }
  };
  std::thread a(worker, false), b(worker, true), c(worker, false);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_F(TpmTest, PersistentParentIsCreatedOnceAndReused) {
  tpm::TpmConfig c = config();
  c.persistent_parent = 0x81000001;
  Point first = Point::generator(p256());
  std::string id;
  {
    tpm::TpmBackend tpm(c, constant_pin("1"));
    first = tpm.parent_public().key;
    id = tpm.generate_key("k", KeyPurpose::encryption).id;
  }
  swtpm_->restart();
  tpm::TpmBackend tpm(c, constant_pin("1"));
  EXPECT_EQ(tpm.parent_public().key, first);
  EXPECT_EQ(tpm.loaded_handles().transient, 0u);  // the parent is persistent, not transient
  const Scalar t = Scalar::random(p256());
  const auto r = tpm.ecdh(id, t.public_point());
  EXPECT_EQ(Bytes(r.x.begin(), r.x.end()), tpm.list_keys()[0].public_key.times(t).x_bytes());
  // The same template as the transient parent: shares wrapped to either work on both.
  EXPECT_EQ(make_backend()->parent_public().key, first);
}

}  // namespace
}  // namespace recrypt::testing
