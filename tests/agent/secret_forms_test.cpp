// The forms an administrator's secrets travel in (agent/secret_forms.hpp), through a real soft
// backend: what is sent opens only on its device, becomes that backend's seal, and is refused
// when it is not an administrator's secret or not the key the group profile names.
#include "agent/secret_forms.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/group_keys.hpp"
#include "backend/soft_backend.hpp"
#include "base/error.hpp"
#include "protocol/json.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/udf.hpp"

namespace recrypt::agent {
namespace {

namespace fs = std::filesystem;

class SecretForms : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "recrypt-forms-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    backend::SoftConfig c;
    c.directory = dir_;
    c.scrypt_n = 1u << 12;
    soft_ = std::make_unique<backend::SoftBackend>(
        c, [](const backend::PinRequest&) { return std::optional(SecureString("passphrase")); });
    auto enc = soft_->generate_key("device-enc", backend::KeyPurpose::encryption);
    auto sig = soft_->generate_key("device-sig", backend::KeyPurpose::signing);
    device_.emplace(
        service::Device{"laptop", "soft", enc.public_key, sig.public_key, std::nullopt, {}});
    keys_ = DeviceKeys{"laptop", soft_.get(),
                       enc.id,   udf::key_fingerprint(enc.public_key),
                       sig.id,   udf::key_fingerprint(sig.public_key)};
  }
  void TearDown() override {
    soft_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string refusal(const std::string& form, const Point& expected) {
    try {
      receive_secret_form(form, keys_, "soft", "label", expected);
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }

  fs::path dir_;
  std::unique_ptr<backend::SoftBackend> soft_;
  std::optional<service::Device> device_;
  DeviceKeys keys_;
};

TEST_F(SecretForms, AJweFormBecomesASealOfTheDevice) {
  Scalar secret = Scalar::random(Curve::p256());
  std::string form = wrap_secret_for_device(*device_, "group-key:x", secret);
  EXPECT_EQ(json::parse(form, 16 * 1024, "form").at("format"), "jwe");
  SealedGroupKey sealed =
      receive_secret_form(form, keys_, "soft", "group-key:x", secret.public_point());
  EXPECT_EQ(sealed.key_id, udf::key_fingerprint(secret.public_point()));
  EXPECT_EQ(sealed.backend, "soft");
  EXPECT_TRUE(unseal_scalar(*soft_, sealed).public_point() == secret.public_point());
}

TEST_F(SecretForms, AnotherKeyOrAnotherContentTypeIsRefused) {
  Scalar secret = Scalar::random(Curve::p256());
  std::string form = wrap_secret_for_device(*device_, "l", secret);
  Point other = Scalar::random(Curve::p256()).public_point();
  EXPECT_EQ(refusal(form, other),
            "the administrator's secret for " + udf::key_fingerprint(other) + " is another key");
  // A member's wrapped share opens with the same device key: its content type keeps it out.
  std::string share =
      Json{{"format", "jwe"}, {"jwe", service::wrap_share(secret, device_->encryption_key)}}.dump();
  EXPECT_EQ(refusal(share, secret.public_point()),
            "an administrator's secret is a JWE of content type \"recrypt-admin-secret+jwk\", "
            "and this one is not");
  // Addressed to another device.
  service::Device elsewhere = *device_;
  elsewhere.encryption_key = Scalar::random(Curve::p256()).public_point();
  EXPECT_NE(refusal(wrap_secret_for_device(elsewhere, "l", secret), secret.public_point()), "");
}

TEST_F(SecretForms, ABlobTheBackendCannotImportIsItsRefusal) {
  std::string form = Json{{"format", "tpm2-duplicate-sealed-v1"}, {"data", "AAAA"}}.dump();
  EXPECT_THROW(receive_secret_form(form, keys_, "soft", "l", device_->encryption_key),
               backend::BackendError);
}

TEST_F(SecretForms, APackageCarriesTheGroupKeyAndTheSigningKeyWhenItCan) {
  Scalar a = Scalar::random(Curve::p256());
  Scalar signing = Scalar::random(Curve::p256());
  service::GroupProfile group{"team@example.com",   signing.public_point(), a.public_point(), {},
                              "http://127.0.0.1:1", "2026-11-29T00:00:00Z"};
  std::string package = admin_package_for(*device_, group.id(), a, &signing);
  ReceivedAdminKeys got = receive_admin_package(package, keys_, "soft", group);
  EXPECT_EQ(got.group_key.key_id, group.key_id());
  ASSERT_TRUE(got.signing_key);
  EXPECT_EQ(got.signing_key->key_id, group.id());
  EXPECT_TRUE(unseal_scalar(*soft_, *got.signing_key).public_point() == signing.public_point());

  // An older group's signing key never leaves its backend: the package has none.
  ReceivedAdminKeys older = receive_admin_package(
      admin_package_for(*device_, group.id(), a, nullptr), keys_, "soft", group);
  EXPECT_FALSE(older.signing_key);
  // Secrets swapped: each is checked against the key the profile names for it.
  Json swapped = Json::parse(package);
  std::swap(swapped["group_key"], swapped["signing_key"]);
  EXPECT_THROW(receive_admin_package(swapped.dump(), keys_, "soft", group), Error);
}

}  // namespace
}  // namespace recrypt::agent
