// State survives restarts and crashes: what was acknowledged is there afterwards.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

using service::MemberStatus;

TEST_F(ServiceTest, StateSurvivesARestart) {
  create_group();
  auto bob = member("bob@example.com");
  client(*alice).update_member({group->name, bob->id(), MemberStatus::suspended, std::nullopt});
  server.restart();
  auto g = client(*alice).get_group({group->name});
  ASSERT_EQ(g.members.size(), 2u);
  for (const auto& m : g.members)
    if (m.member == bob->id()) {
      EXPECT_EQ(m.status, MemberStatus::suspended);
    }
  client(*alice).update_member({group->name, bob->id(), MemberStatus::active, std::nullopt});
  Scalar t = Scalar::random(Curve::p256());
  EXPECT_EQ(status_of([&] { client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()}); }), 201);
}

TEST_F(ServiceTest, ReplayIsRefusedAfterARestart) {
  create_group();
  std::string body = service::serialize_request("GetGroup", Json{{"group", group->name}});
  // The audience is the URL, which changes with the port: sign for the port of the restart
  // by giving both runs the same audience.
  server.set_args({"--audience", "recrypt-test-audience"});
  server.restart();
  std::string sig = service::sign_request(body, alice->devices[0]->signer(), alice->devices[0]->kid(),
                                          "recrypt-test-audience");
  service::Client c(server.url(), "recrypt-test-audience", alice->devices[0]->signer(), alice->devices[0]->kid());
  EXPECT_EQ(c.post_raw(body, sig).status, 201);
  server.restart();
  service::Client c2(server.url(), "recrypt-test-audience", alice->devices[0]->signer(), alice->devices[0]->kid());
  EXPECT_EQ(c2.post_raw(body, sig).status, 401);
}

TEST_F(ServiceTest, AcknowledgedMembersSurviveKillNine) {
  create_group();
  constexpr int kPeople = 60;
  std::vector<std::unique_ptr<TestPerson>> people;
  for (int i = 0; i < kPeople; ++i) {
    people.push_back(make_person("p" + std::to_string(i) + "@example.com"));
    publish(*people.back());
  }
  std::vector<service::AddMemberRequest> requests;
  for (auto& p : people) requests.push_back({group->name, {group->entry_for(*p, recrypt_only())}});

  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<int> next{0};
  std::atomic<int> answered{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      auto c = client(*alice);
      for (int i = next++; i < kPeople; i = next++) {
        try {
          c.add_member(requests[static_cast<std::size_t>(i)]);
          std::lock_guard lock(mutex);
          acknowledged.insert(people[static_cast<std::size_t>(i)]->id());
        } catch (const service::ServiceError&) {
        }
        ++answered;
      }
    });
  }
  while (answered < kPeople / 3) std::this_thread::yield();
  server.kill9();
  for (auto& t : workers) t.join();
  server.start();
  auto g = client(*alice).get_group({group->name});
  std::set<std::string> present;
  for (const auto& m : g.members) present.insert(m.member);
  EXPECT_GE(acknowledged.size(), static_cast<std::size_t>(kPeople / 3));
  for (const auto& id : acknowledged) EXPECT_TRUE(present.count(id)) << id;
}

}  // namespace
}  // namespace recrypt::test
