// document.open on untrusted envelopes, in-process against a real recryptd: a document beyond
// the limits of agent/open_limits.hpp is refused, naming the limit, before any service call;
// a JWE that is not a document, a wrapped share above all, is refused naming its content type;
// a batch that an older instance behind the same address does not know is asked again as
// RecryptData. Service calls are counted in recryptd's request log (one line per request).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "agent/agent.hpp"
#include "agent/open_limits.hpp"
#include "backend/soft_backend.hpp"
#include "base/atomic_file.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwk.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/share_form.hpp"
#include "protocol/udf.hpp"
#include "service/client/client.hpp"
#include "tests/agent/older_service_proxy.hpp"
#include "tests/service/recryptd_process.hpp"

namespace recrypt::agent {
namespace {

namespace fs = std::filesystem;
using agent_rpc::Code;
using agent_rpc::RpcError;

constexpr const char* kGroup = "team@example.com";

class DocumentOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (older) service.set_args({"--audience", older->url()});
    service.start();
    if (older) older->set_upstream(service.port());
    const std::string url = older ? older->url() : service.url();
    fs::path passphrase = service.dir() / "passphrase";
    write_file_atomic(passphrase, as_bytes("document passphrase\n"), 0600);
    PinPolicy policy;
    policy.passphrase_file = passphrase;
    pins = std::make_unique<PinProvider>(policy);
    alice = make_agent("alice");
    bob = make_agent("bob");
    alice->call("profile.create", Json{{"account", "alice@example.com"}, {"service", url}});
    Json b = bob->call("profile.create", Json{{"account", "bob@example.com"}, {"service", url}});
    alice->call("group.create", Json{{"name", kGroup}});
    alice->call("group.add",
                Json{{"group", kGroup}, {"member", "bob@example.com"}, {"fingerprint", b["id"]}});
    auto profile = service::verify_group_profile(
        alice->call("group.recipient", Json{{"group", kGroup}})["profile"].get<std::string>());
    group_key = jwe::RecipientKey{profile.encryption_key, profile.key_id(),
                                  jwe::Locator{profile.name, profile.id(), profile.service}};
  }

  std::unique_ptr<Agent> make_agent(const std::string& name) {
    AgentConfig config;
    config.home = service.dir() / name;
    return std::make_unique<Agent>(std::move(config), *pins);
  }

  // A document envelope: metadata content type, these recipients.
  static std::string document(const std::vector<jwe::RecipientSpec>& recipients) {
    return jwe::encrypt(as_bytes("{}"), recipients, std::string(jcd::kMetadataType)).serialize();
  }
  std::string to_group(std::size_t copies) const {
    return document(std::vector<jwe::RecipientSpec>(copies, jwe::RecipientSpec{*group_key}));
  }

  // The refusal of document.open by `agent`; fails the test when it opens.
  static RpcError refusal(Agent& agent, const std::string& envelope) {
    try {
      agent.call("document.open", Json{{"envelope", envelope}});
    } catch (const RpcError& e) {
      return e;
    }
    ADD_FAILURE() << "document.open did not refuse";
    return RpcError(Code::internal_error, "");
  }

  std::size_t recrypt_calls() const {
    std::string log = service.log();
    std::size_t n = 0;
    for (std::size_t at = log.find("\"RecryptData\""); at != std::string::npos;
         at = log.find("\"RecryptData\"", at + 1))
      ++n;
    return n;
  }
  // Waits (generously) until recryptd has logged `n` RecryptData calls, and says how many it has.
  std::size_t recrypt_calls_once(std::size_t n) const {
    for (int i = 0; i < 100 && recrypt_calls() < n; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    return recrypt_calls();
  }
  // Bob opens an honest document: one RecryptData. After refusals, that call is the only one
  // recryptd logs beyond `before`, so the refusals made none (its log line comes in order).
  void expect_only_the_honest_call_since(std::size_t before) {
    Json opened = bob->call("document.open", Json{{"envelope", to_group(1)}});
    EXPECT_EQ(base64url::decode(opened["plaintext"].get<std::string>()), Bytes({'{', '}'}));
    EXPECT_EQ(recrypt_calls_once(before + 1), before + 1);
  }

  // When set (before SetUp), the agents reach recryptd only through it: a proxy that plays an
  // instance older than one transaction, with recryptd's --audience its address.
  std::optional<test::OlderServiceProxy> older;
  test::RecryptdProcess service;
  std::unique_ptr<PinProvider> pins;
  std::unique_ptr<Agent> alice, bob;
  std::optional<jwe::RecipientKey> group_key;
};

TEST_F(DocumentOpen, MoreRecipientsThanAreExaminedAreRefusedBeforeAnyServiceCall) {
  std::size_t before = recrypt_calls();
  // As many recipients as the format allows, every one for Bob's group.
  RpcError e = refusal(*bob, to_group(jwe::kMaxRecipients));
  EXPECT_EQ(e.code(), Code::refused) << e.what();
  EXPECT_EQ(std::string(e.what()),
            "the document names " + std::to_string(jwe::kMaxRecipients) +
                " recipients this agent could open (its devices' keys, groups at its "
                "service); at most " +
                std::to_string(kMaxRecipientsExamined) + " are examined");
  EXPECT_EQ(e.data().at("limit"), "recipients");
  // One over the limit is refused by the same rule.
  e = refusal(*bob, to_group(kMaxRecipientsExamined + 1));
  EXPECT_NE(std::string(e.what()).find("names " + std::to_string(kMaxRecipientsExamined + 1) +
                                       " recipients"),
            std::string::npos)
      << e.what();
  expect_only_the_honest_call_since(before);
}

TEST_F(DocumentOpen, MoreRecryptionsThanTheLimitAreRefusedBeforeAnyServiceCall) {
  std::size_t before = recrypt_calls();
  std::string want = "the document needs " + std::to_string(kMaxRecryptions + 1) +
                     " recryptions at the service (group key agreements); at most " +
                     std::to_string(kMaxRecryptions) + " are asked for one document";
  // Any-of: one recipient per key agreement, each with its own T.
  RpcError e = refusal(*bob, to_group(kMaxRecryptions + 1));
  EXPECT_EQ(e.code(), Code::refused) << e.what();
  EXPECT_EQ(std::string(e.what()), want);
  EXPECT_EQ(e.data().at("limit"), "recryptions");
  // All-of: one recipient of that many parts.
  e = refusal(*bob, document({jwe::RecipientSpec(kMaxRecryptions + 1, *group_key)}));
  EXPECT_EQ(std::string(e.what()), want);
  expect_only_the_honest_call_since(before);
}

TEST_F(DocumentOpen, ARepeatedKeyAgreementIsOneServiceCall) {
  // The same recipient, byte for byte, kMaxRecryptions + 1 times: one recryption, asked once.
  jwe::Envelope one = jwe::Envelope::parse(to_group(1));
  jwe::Envelope many = one;
  many.recipients.assign(kMaxRecryptions + 1, one.recipients.front());
  many.recipients.front().encrypted_key[0] ^= 1;  // the first one does not open: the next ones must
  std::size_t before = recrypt_calls();
  Json opened = bob->call("document.open", Json{{"envelope", many.serialize()}});
  EXPECT_EQ(opened["recipient"], 1);
  EXPECT_EQ(recrypt_calls_once(before + 1), before + 1);
}

TEST_F(DocumentOpen, MoreUnwrapTriesThanTheLimitAreRefused) {
  // An all-of whose parts all name Bob's device key: no service call, but 2^parts unwraps on
  // a device that gives only x(P). 11 parts: 2048.
  Json keys = bob->call("keys.list", Json::object());
  std::string kid;
  for (const auto& k : keys)
    if (k["purpose"] == "encryption") kid = k["fingerprint"];
  ASSERT_FALSE(kid.empty());
  jwe::RecipientKey device_part{Scalar::random(Curve::p256()).public_point(), kid, std::nullopt};
  RpcError e = refusal(*bob, document({jwe::RecipientSpec(11, device_part)}));
  EXPECT_EQ(e.code(), Code::refused) << e.what();
  EXPECT_EQ(std::string(e.what()),
            "the document's recipients need up to 2048 key unwrap tries; at most " +
                std::to_string(kMaxUnwrapTries) + " are made for one document");
}

TEST_F(DocumentOpen, AWrappedShareIsNotOpenedAsADocument) {
  // Bob's real share of the group, as the service hands it to his device.
  Home home(service.dir() / "bob");
  LocalProfile profile = *home.load_profile();
  const LocalDevice& device = profile.devices.front();
  backend::SoftBackend soft(backend::SoftConfig{home.backend_dir("soft")}, pins->source());
  std::string signing_kid;
  for (const auto& k : soft.list_keys())
    if (k.id == device.signing_key_id) signing_kid = udf::key_fingerprint(k.public_key);
  std::string key_id = group_key->kid;
  service::Client link(
      service.url(), service.audience(),
      [&](ByteView digest) { return soft.sign_digest(device.signing_key_id, digest); },
      signing_kid);
  auto answer = link.recrypt_data(service::RecryptDataRequest{
      group_key->locator->group_id, key_id, Scalar::random(Curve::p256()).public_point()});
  service::ShareForm form = service::parse_share_form(answer.wrapped_share);
  ASSERT_TRUE(form.jwe);
  ASSERT_EQ(jwe::Envelope::parse(*form.jwe).protected_header.at("cty"), service::kWrappedShareType);

  // Addressed to Bob's own device key, it would open with one ECDH: the content type stops it.
  RpcError e = refusal(*bob, *form.jwe);
  EXPECT_EQ(e.code(), Code::refused) << e.what();
  EXPECT_EQ(std::string(e.what()),
            "document.open opens documents only (content type "
            "\"application/recrypt-jcd-metadata+json\"), "
            "not content of type \"recrypt-share+jwk\"");
  EXPECT_EQ(e.data().at("cty"), "recrypt-share+jwk");
  // Nor is an untyped JWE a document.
  e = refusal(*bob, jwe::encrypt(as_bytes("{}"), {jwe::RecipientSpec{*group_key}}).serialize());
  EXPECT_NE(std::string(e.what()).find("has no content type"), std::string::npos) << e.what();
}

class DocumentOpenBehindAnOlderInstance : public DocumentOpen {
 protected:
  DocumentOpenBehindAnOlderInstance() {
    older.emplace(std::string(service::RecryptBatchRequest::kName));
  }
};

TEST_F(DocumentOpenBehindAnOlderInstance, ABatchItDoesNotKnowIsAskedAgainAsRecryptData) {
  // Hello, answered by the newer recryptd, offers RecryptBatch; the instance that gets the
  // batch does not know it. An all-of of three parts of the group: three agreements.
  std::size_t before = recrypt_calls();
  Json opened =
      bob->call("document.open", Json{{"envelope", document({jwe::RecipientSpec(3, *group_key)})}});
  EXPECT_EQ(base64url::decode(opened["plaintext"].get<std::string>()), Bytes({'{', '}'}));
  EXPECT_EQ(older->refused(), 1);
  EXPECT_EQ(recrypt_calls_once(before + 3), before + 3);
  // Withdrawn for the agent's lifetime: the next document is not batched at all.
  opened =
      bob->call("document.open", Json{{"envelope", document({jwe::RecipientSpec(2, *group_key)})}});
  EXPECT_EQ(base64url::decode(opened["plaintext"].get<std::string>()), Bytes({'{', '}'}));
  EXPECT_EQ(older->refused(), 1);
  EXPECT_EQ(recrypt_calls_once(before + 5), before + 5);
}

TEST(WrappedShareType, ADocumentIsNotTakenForAShare) {
  // The other way round: a document to a device key is no share, whatever it holds.
  Scalar device = Scalar::random(Curve::p256());
  SecretJson share = jwk::from_private(Scalar::random(Curve::p256()));
  SecureString text = share.dump();
  std::string as_document =
      jwe::encrypt(as_bytes(std::string_view(text.data(), text.size())),
                   {{jwe::RecipientKey{device.public_point(), {}, std::nullopt}}},
                   std::string(jcd::kMetadataType))
          .serialize();
  try {
    service::unwrap_share(as_document, device);
    ADD_FAILURE() << "a document was opened as a share";
  } catch (const Error& e) {
    EXPECT_EQ(
        std::string(e.what()),
        "a wrapped share is a JWE of content type \"recrypt-share+jwk\", and this one is not");
  }
  EXPECT_NO_THROW(
      service::unwrap_share(service::wrap_share(device, device.public_point()), device));
}

}  // namespace
}  // namespace recrypt::agent
