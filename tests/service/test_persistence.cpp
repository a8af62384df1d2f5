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
  client(*alice).update_member(update_request(*bob, MemberStatus::suspended, std::nullopt));
  server.restart();
  auto g = client(*alice).get_group({group->name});
  ASSERT_EQ(g.members.size(), 2u);
  for (const auto& m : g.members)
    if (m.member == bob->id()) {
      EXPECT_EQ(m.status, MemberStatus::suspended);
    }
  client(*alice).update_member(update_request(*bob, MemberStatus::active, std::nullopt));
  Scalar t = Scalar::random(Curve::p256());
  EXPECT_EQ(status_of([&] {
              client(*bob).recrypt_data({group->name, group->key_id(), t.public_point()});
            }),
            201);
}

TEST_F(ServiceTest, ReplayIsRefusedAfterARestart) {
  create_group();
  std::string body = service::serialize_request("GetGroup", Json{{"group", group->name}});
  // The audience is the URL, which changes with the port: sign for the port of the restart
  // by giving both runs the same audience.
  server.set_args({"--audience", "recrypt-test-audience"});
  server.restart();
  std::string sig = service::sign_request(body, alice->devices[0]->signer(),
                                          alice->devices[0]->kid(), "recrypt-test-audience");
  service::Client c(server.url(), "recrypt-test-audience", alice->devices[0]->signer(),
                    alice->devices[0]->kid());
  EXPECT_EQ(c.post_raw(body, sig).status, 201);
  server.restart();
  service::Client c2(server.url(), "recrypt-test-audience", alice->devices[0]->signer(),
                     alice->devices[0]->kid());
  EXPECT_EQ(c2.post_raw(body, sig).status, 401);
}

TEST_F(ServiceTest, AcknowledgedMembersSurviveKillNine) {
  // Each worker adds to a group of its own: a group's chain takes one change at a time, and
  // the writer commits the four groups' changes together.
  constexpr int kWorkers = 4, kPeople = 60;
  std::vector<std::unique_ptr<TestGroup>> groups;
  for (int w = 0; w < kWorkers; ++w) {
    groups.push_back(
        std::make_unique<TestGroup>("g" + std::to_string(w) + "@example.com", server.url()));
    TestGroup& g = *groups.back();
    g.chain = service::MembershipState(g.id());
    client(*alice).create_group(
        {g.token(),
         {g.entry_for(*alice, super_privs())},
         {g.record(service::RecordOp::genesis, {change(*alice, super_privs())})}});
  }
  std::vector<std::unique_ptr<TestPerson>> people;
  for (int i = 0; i < kPeople; ++i) {
    people.push_back(make_person("p" + std::to_string(i) + "@example.com"));
    publish(*people.back());
  }

  std::mutex mutex;
  std::set<std::string> acknowledged;  // "group|member"
  std::atomic<int> answered{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      TestGroup& g = *groups[static_cast<std::size_t>(w)];
      auto c = client(*alice);
      for (int i = w; i < kPeople; i += kWorkers) {
        const TestPerson& p = *people[static_cast<std::size_t>(i)];
        try {
          c.add_member({g.name,
                        {g.entry_for(p, recrypt_only())},
                        {g.record(service::RecordOp::add, {change(p, recrypt_only())})}});
          std::lock_guard lock(mutex);
          acknowledged.insert(g.id() + "|" + p.id());
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
  std::set<std::string> present;
  for (const auto& g : groups)
    for (const auto& m : client(*alice).get_group({g->name}).members)
      present.insert(g->id() + "|" + m.member);
  EXPECT_GE(acknowledged.size(), static_cast<std::size_t>(kPeople / 3));
  for (const auto& id : acknowledged) EXPECT_TRUE(present.count(id)) << id;
}

}  // namespace
}  // namespace recrypt::test
