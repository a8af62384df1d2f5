// An agent home from before device proofs: its profile token lists devices without proofs,
// which every verifier refuses now. The agent, in-process against a real recryptd, republishes
// the profile with proofs the first time a method loads it, and until it can, methods that
// need only the profile's key ids still work.
#include <gtest/gtest.h>

#include <memory>

#include "agent/agent.hpp"
#include "backend/soft_backend.hpp"
#include "base/atomic_file.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/service_error.hpp"
#include "service/client/client.hpp"
#include "tests/service/recryptd_process.hpp"

namespace recrypt::agent {
namespace {

namespace fs = std::filesystem;

class ProfileMigration : public ::testing::Test {
 protected:
  void SetUp() override {
    service.start();
    fs::path passphrase = service.dir() / "passphrase";
    write_file_atomic(passphrase, as_bytes("migration passphrase\n"), 0600);
    PinPolicy policy;
    policy.passphrase_file = passphrase;
    pins = std::make_unique<PinProvider>(policy);
  }

  std::unique_ptr<Agent> agent() {
    AgentConfig config;
    config.home = home_dir();
    return std::make_unique<Agent>(std::move(config), *pins);
  }
  fs::path home_dir() const { return service.dir() / "alice"; }

  // What an older agent left: the same profile, signed by its key, with no device proofs.
  void sign_without_proofs() {
    Home home(home_dir());
    LocalProfile local = *home.load_profile();
    service::PersonalProfile doc = service::verify_personal_profile(local.token);
    for (service::Device& d : doc.devices) d.proof.clear();
    backend::SoftBackend soft(backend::SoftConfig{home.backend_dir("soft")}, pins->source());
    local.token =
        doc.sign([&](ByteView digest) { return soft.sign_digest(local.signing_key.id, digest); });
    home.save_profile(local);
  }

  std::string stored_token() const { return Home(home_dir()).load_profile()->token; }

  test::RecryptdProcess service;
  std::unique_ptr<PinProvider> pins;
};

TEST_F(ProfileMigration, AProfileWithoutDeviceProofsIsRepublishedWithThem) {
  std::string id = agent()
                       ->call("profile.create", Json{{"account", "alice@example.com"},
                                                     {"service", service.url()},
                                                     {"device", "laptop"}})["id"]
                       .get<std::string>();
  sign_without_proofs();
  std::string old_token = stored_token();
  try {
    service::verify_personal_profile(old_token);
    FAIL() << "a profile without device proofs verified";
  } catch (const service::ServiceError& e) {
    EXPECT_EQ(std::string(e.description()),
              "device \"laptop\" of profile " + id +
                  " has no valid proof of possession by its signing key");
  }

  // The service is away: a method that needs only key ids goes on, one that hands out the
  // signed profile says why it cannot, and the home keeps the old token.
  service.stop();
  auto alice = agent();
  EXPECT_EQ(alice->call("device.list", Json::object()).at(0).at("name"), "laptop");
  try {
    alice->call("profile.show", Json::object());
    ADD_FAILURE() << "profile.show handed out a profile that does not verify";
  } catch (const agent_rpc::RpcError& e) {
    EXPECT_EQ(e.code(), agent_rpc::Code::service_error) << e.what();
  }
  EXPECT_EQ(stored_token(), old_token);

  // Back (on a new port), the next method republishes.
  service.start();
  Home home(home_dir());
  LocalProfile local = *home.load_profile();
  local.service = service.url();
  home.save_profile(local);
  EXPECT_EQ(alice->call("device.list", Json::object()).size(), 1u);
  std::string token = stored_token();
  EXPECT_NE(token, old_token);
  service::PersonalProfile republished = service::verify_personal_profile(token);
  EXPECT_EQ(republished.id(), id);
  EXPECT_TRUE(republished.devices.at(0).proof_verifies(id));
  EXPECT_EQ(alice->call("profile.show", Json::object())["profile"], token);
  service::Client reader(service.url(), service.url(), {}, "");
  EXPECT_EQ(reader.get_profile({id, "", ""}).profile, token);
}

// A device proves possession once: republishing keeps each device's proof and asks only a
// new device to sign.
TEST_F(ProfileMigration, RepublishingKeepsTheProofsOfDevicesItHas) {
  auto alice = agent();
  std::string id = alice
                       ->call("profile.create", Json{{"account", "alice@example.com"},
                                                     {"service", service.url()},
                                                     {"device", "laptop"}})["id"]
                       .get<std::string>();
  Bytes laptop_proof = service::verify_personal_profile(stored_token()).devices.at(0).proof;
  alice->call("device.add", Json{{"name", "phone"}});
  service::PersonalProfile doc = service::verify_personal_profile(stored_token());
  ASSERT_EQ(doc.devices.size(), 2u);
  EXPECT_EQ(doc.devices[0].proof, laptop_proof);
  EXPECT_TRUE(doc.devices[1].proof_verifies(id));
}

}  // namespace
}  // namespace recrypt::agent
