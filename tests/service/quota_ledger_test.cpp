// The quota ledger on its own, with a clock the test turns: the sliding hour and day, one
// window per (group, member), the store's history read once, and many threads at once.
#include "service/quota_ledger.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <latch>
#include <thread>
#include <vector>

namespace recrypt::test {
namespace {

using service::Quota;
using service::QuotaLedger;

constexpr std::int64_t kStart = 1'800'000'000;

class QuotaLedgerTest : public ::testing::Test {
 protected:
  std::int64_t now = kStart;
  QuotaLedger::Answered stored;  // what the store says was answered: who, when
  int history_reads = 0;
  QuotaLedger ledger{[this] { return now; }};

  QuotaLedger::History history() {
    return [this](std::int64_t since) {
      ++history_reads;
      QuotaLedger::Answered out;
      for (const auto& [who, at] : stored)
        if (at >= since) out.emplace_back(who, at);
      return out;
    };
  }
  QuotaLedger::Admission admit(const Quota& q, const std::string& member = "bob", bool own = true,
                               const std::string& group = "g") {
    return ledger.admit(group, member, q, own, history());
  }
  // Admits `n` in a row, each expected to pass.
  void use(const Quota& q, int n, const std::string& member = "bob") {
    for (int i = 0; i < n; ++i) ASSERT_TRUE(admit(q, member).admitted) << member << " #" << i;
  }
};

TEST_F(QuotaLedgerTest, RefusesOverTheHourlyLimitAndNamesIt) {
  Quota q{3, 0};
  use(q, 3);
  now += 100;
  auto refused = admit(q);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 3500);
  EXPECT_EQ(refused.reason,
            "quota exceeded: 3 recryptions per hour for this member; retry in 3500 s");
}

// The rule without the ledger's memory, as a shared store applies it to what its audit counts.
TEST(QuotaJudge, JudgesTheTimesItIsGiven) {
  std::deque<std::int64_t> times{kStart - QuotaLedger::kDay, kStart, kStart + 10, kStart + 20};
  auto refused = QuotaLedger::judge(times, Quota{3, 0}, /*own=*/false, kStart + 100);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 3500);
  EXPECT_EQ(refused.reason,
            "quota exceeded: 3 recryptions per hour for each member of this group; retry in "
            "3500 s");
  times.pop_back();  // two left in the hour (the one a day old counts for neither): room
  auto admitted = QuotaLedger::judge(times, Quota{3, 0}, /*own=*/false, kStart + 100);
  EXPECT_TRUE(admitted.admitted);
  EXPECT_EQ(admitted.at, kStart + 100);
}

TEST_F(QuotaLedgerTest, TheHourSlides) {
  Quota q{2, 0};
  use(q, 1);
  now += 1800;
  use(q, 1);
  EXPECT_FALSE(admit(q).admitted);
  now = kStart + 3599;
  EXPECT_EQ(admit(q).retry_after, 1);
  now = kStart + 3600;  // the first has left the hour; the second has not
  EXPECT_TRUE(admit(q).admitted);
  auto refused = admit(q);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.retry_after, 1800);
}

TEST_F(QuotaLedgerTest, TheDaySlidesAndBindsOverTheHour) {
  Quota q{2, 3};
  use(q, 2);
  auto by_hour = admit(q);
  EXPECT_EQ(by_hour.reason,
            "quota exceeded: 2 recryptions per hour for this member; retry in 3600 s");
  now += 3600;
  use(q, 1);
  auto by_day = admit(q, "bob", false);
  EXPECT_FALSE(by_day.admitted);
  EXPECT_EQ(by_day.retry_after, 24 * 3600 - 3600);
  EXPECT_EQ(by_day.reason,
            "quota exceeded: 3 recryptions per day for each member of this group; "
            "retry in 82800 s");
  now = kStart + 24 * 3600;  // the first two leave the day
  use(q, 2);
  EXPECT_FALSE(admit(q).admitted);
}

TEST_F(QuotaLedgerTest, OneRecryptionIsSingular) {
  Quota q{0, 1};
  use(q, 1);
  EXPECT_EQ(admit(q).reason,
            "quota exceeded: 1 recryption per day for this member; retry in 86400 s");
}

TEST_F(QuotaLedgerTest, EachMemberAndGroupCountsAlone) {
  Quota q{2, 0};
  use(q, 2, "bob");
  EXPECT_FALSE(admit(q, "bob").admitted);
  use(q, 2, "carol");
  EXPECT_TRUE(admit(q, "bob", true, "other group").admitted);
}

TEST_F(QuotaLedgerTest, ReleasedRecryptionsDoNotCount) {
  Quota q{1, 0};
  auto first = admit(q);
  ASSERT_TRUE(first.admitted);
  ledger.release("g", "bob", first.at);
  EXPECT_TRUE(admit(q).admitted);
  EXPECT_FALSE(admit(q).admitted);
}

TEST_F(QuotaLedgerTest, SeededOnceFromTheStore) {
  // Answered before a restart: two in the last hour, one earlier today, one yesterday.
  stored = {{"bob", kStart - 60},
            {"bob", kStart - 25 * 3600},
            {"carol", kStart - 30},
            {"bob", kStart - 5 * 3600},
            {"bob", kStart - 600}};
  Quota q{3, 4};
  use(q, 1);
  auto refused = admit(q);
  EXPECT_FALSE(refused.admitted);
  EXPECT_EQ(refused.reason,
            "quota exceeded: 4 recryptions per day for this member; retry in 68400 s");
  EXPECT_EQ(history_reads, 1);
  stored.clear();
  EXPECT_FALSE(admit(q).admitted);  // not read again
  // Carol's answer before the restart counts for her, once, in the same read.
  EXPECT_TRUE(admit({2, 0}, "carol").admitted);
  EXPECT_FALSE(admit({2, 0}, "carol").admitted);
  EXPECT_EQ(history_reads, 1);
}

TEST_F(QuotaLedgerTest, MembersWithoutAQuotaAreCountedToo) {
  // The group has quotas, Carol none: her answers count, for when she is given one.
  use({}, 3, "carol");
  EXPECT_FALSE(admit({0, 3}, "carol").admitted);
}

TEST_F(QuotaLedgerTest, AForgottenGroupIsReadAgain) {
  Quota q{1, 0};
  use(q, 1);
  ledger.forget("g");
  stored = {{"bob", now}};  // what the audit says, now the only source
  EXPECT_FALSE(admit(q).admitted);
  EXPECT_EQ(history_reads, 2);
}

TEST_F(QuotaLedgerTest, AFailedHistoryCountsNothing) {
  Quota q{1, 0};
  EXPECT_THROW(ledger.admit("g", "bob", q, true,
                            [](std::int64_t) -> QuotaLedger::Answered {
                              throw std::runtime_error("store down");
                            }),
               std::runtime_error);
  EXPECT_TRUE(admit(q).admitted);
  EXPECT_EQ(history_reads, 1);
}

TEST_F(QuotaLedgerTest, ThreadsNeverAdmitMoreThanTheQuota) {
  const Quota q{500, 0};
  std::atomic<int> reads{0};
  std::atomic<int> admitted[2] = {0, 0};
  std::latch start(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      const std::string member = t % 2 == 0 ? "bob" : "carol";
      auto read_once = [&](std::int64_t) {
        ++reads;
        return QuotaLedger::Answered{};
      };
      start.arrive_and_wait();
      for (int i = 0; i < 200; ++i)
        if (ledger.admit("g", member, q, true, read_once).admitted) ++admitted[t % 2];
    });
  for (auto& th : threads) th.join();
  // Each member asked 800 times from four threads and is let through exactly 500 times; the
  // group's history was read once.
  EXPECT_EQ(admitted[0].load(), 500);
  EXPECT_EQ(admitted[1].load(), 500);
  EXPECT_EQ(reads.load(), 1);
}

}  // namespace
}  // namespace recrypt::test
