// The agent's way to a service (ServiceDirectory) against a real recryptd: it signs for the
// audience the configured address names and refuses a service that calls itself otherwise.
#include <gtest/gtest.h>

#include "agent/service_link.hpp"
#include "tests/service/identities.hpp"
#include "tests/service/recryptd_process.hpp"

namespace recrypt::test {
namespace {

using agent::ServiceDirectory;

// The ServiceError a call ends with; fails the test when it returns.
service::ServiceError refusal_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const service::ServiceError& e) {
    return e;
  }
  ADD_FAILURE() << "the call was not refused";
  return service::ServiceError(0, "");
}

TEST(AgentServiceLinkTest, SignsForTheAudienceTheAddressNames) {
  RecryptdProcess server;
  server.start();
  ServiceDirectory services(std::chrono::seconds(5));
  EXPECT_EQ(services.check(server.url()), server.url());
  auto alice = make_person("alice@example.com");
  auto link = services.connect(server.url(), alice->profile_signer(), alice->id());
  link->publish_profile({alice->token()}, alice->profile_signer(), alice->id());
}

TEST(AgentServiceLinkTest, RefusesAServiceThatCallsItselfOtherwise) {
  // The service's --audience is not what its URL names: whatever it is, the agent will not
  // sign for it, and says which two names disagree.
  RecryptdProcess server({"--audience", "https://recrypt.example.com"});
  server.start();
  ServiceDirectory services(std::chrono::seconds(5));
  auto e = refusal_of([&] { services.check(server.url()); });
  EXPECT_EQ(e.status(), 503);
  EXPECT_NE(std::string(e.what()).find("the service at " + server.url() +
                                       " calls itself https://recrypt.example.com, expected " +
                                       server.url()),
            std::string::npos)
      << e.what();
  auto alice = make_person("alice@example.com");
  EXPECT_EQ(refusal_of([&] {
              services.connect(server.url(), alice->profile_signer(), alice->id());
            }).status(),
            503);
  // Nothing was published: the refusal came before any signed request.
  auto probe = client_for(server.url(), *alice, -1);
  EXPECT_EQ(refusal_of([&] { probe.get_profile({alice->id(), "", ""}); }).status(), 404);
}

TEST(AgentServiceLinkTest, PlainHttpOffThisMachineIsRefusedBeforeAnyNetworkUse) {
  ServiceDirectory services(std::chrono::seconds(5));
  // 192.0.2.1 (TEST-NET-1) routes nowhere: a refusal that waited for the network would take
  // the whole timeout and say "unreachable".
  auto start = std::chrono::steady_clock::now();
  auto e = refusal_of([&] { services.check("http://192.0.2.1:8080"); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(e.status(), 400);
  EXPECT_NE(std::string(e.what()).find("refusing plain http:// to 192.0.2.1"), std::string::npos)
      << e.what();
}

}  // namespace
}  // namespace recrypt::test
