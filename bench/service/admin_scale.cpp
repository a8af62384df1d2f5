// admin_scale: what AddMember, UpdateMember, RecryptData and GetGroup cost a group of 10,
// 1 000 and 100 000 members, and the ratio of the largest size to the smallest (the change
// requests should cost the same at any size: at most 1.2x).
//
// The requests run through the Service as recryptd runs them (signature, transaction, audit
// record, durable commit), on a SQLite store in a fresh directory; only the HTTP framing is
// left out. The group is filled between sizes through the store's writer, with the calls
// AddMember makes (insert_member, put_key with a sealed recryption key, append_membership
// with a record the group's key signed), a thousand members per transaction, instead of a
// hundred thousand signed requests.
//
// Each size has a store and Service of its own, filled first (and its write-ahead log
// checkpointed). Then --rounds rounds, each going through every size: one AddMember (a new
// person), an UpdateMember suspending a member and one reinstating it, --recrypts RecryptData
// of that member, and one GetGroup (one page: at most 1000 members). The figure of a request
// at a size is the median of its rounds (the best beside it); sizes and requests are
// interleaved so that a neighbour's build slows all of them alike.
//
// With --rotate N it instead fills a group to N members and rotates its key in steps
// (BeginRotation, AddRotationEntries of --page entries, CommitRotation), each page of entries
// made (a share split and wrapped to a device per member) just before it is sent: the time,
// the requests' sizes, and how much this process's peak resident set grew meanwhile.
//
//   admin_scale [--sizes 10,1000,100000] [--rounds 30] [--recrypts 5] [--dir DIR]
//   admin_scale --rotate 10000 [--page 200]
#include <CLI/CLI.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "protocol/scalar.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/request_signature.hpp"
#include "service/service.hpp"
#include "service/transactions.hpp"
#include "tests/service/identities.hpp"

using namespace recrypt;
using namespace recrypt::test;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kAudience = "https://bench.invalid";

// VmHWM (peak resident set) of this process in KiB, and the same after resetting it to the
// current resident set (Linux: clear_refs 5), so that a later read is the peak since.
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}
long reset_peak_rss() {
  std::ofstream("/proc/self/clear_refs") << "5";
  return peak_rss_kib();
}

class Bench {
 public:
  explicit Bench(const std::filesystem::path& dir)
      : store_(service::open_sqlite_store((dir / "recryptd.db").string())),
        vault_(service::KeyVault::open(dir / "service.key")),
        service_(*store_, service::KeyVault::open(dir / "service.key"), {kAudience}),
        alice_(make_person("alice@example.com")),
        bob_(make_person("bob@example.com")),
        group_("scale@example.com", kAudience) {
    publish(*alice_);
    publish(*bob_);
    group_.chain = service::MembershipState(group_.id());
    as_alice("CreateGroup",
             service::CreateGroupRequest{
                 group_.token(),
                 {group_.entry_for(*alice_, super_privs())},
                 {group_.record(service::RecordOp::genesis, {change(*alice_, super_privs())})}}
                 .to_json());
    add(*bob_);
  }

  std::size_t members() const { return group_.chain.members().size(); }

  // Up to `n` members, through the store's writer, a thousand per transaction.
  void fill(std::size_t n) {
    constexpr std::size_t kPerTransaction = 1000;
    auto signer = jws::software_signer(group_.signing);
    while (members() < n) {
      struct Row {
        service::MemberRecord member;
        service::SignedRecord record;
      };
      std::vector<Row> rows;
      for (std::size_t i = 0; i < kPerTransaction && members() < n; ++i) {
        std::string id = "fill-" + std::to_string(members());
        service::MembershipRecord r = group_.chain.next(service::RecordOp::add);
        r.members = {{id, {id + "@example.com", recrypt_only(), service::MemberStatus::active}}};
        std::string token = r.sign(group_.signing.public_point(), signer);
        service::SignedRecord s{r, token, service::record_hash(token), group_.id()};
        group_.chain.append(s);
        rows.push_back(
            {{group_.id(), id, id + "@example.com", recrypt_only(), service::MemberStatus::active},
             std::move(s)});
      }
      write([&](service::StoreWriter& w) {
        for (const Row& row : rows) {
          w.insert_member(row.member);
          SecureBytes r = Scalar::random(Curve::p256()).to_bytes();
          std::string key_id = group_.key_id();
          w.put_key(
              {group_.id(), row.member.member_id, key_id,
               vault_.seal(r, service::tx::seal_context(group_.id(), row.member.member_id, key_id)),
               R"({"fill-device":"fill"})"});
          w.append_membership(group_.id(), row.record.record.seq, row.record.token,
                              row.record.hash);
        }
      });
    }
  }

  struct Rotation {
    double seconds = 0;          // begin to commit, entries made on the way
    double service_seconds = 0;  // of which in the Service
    std::size_t entries = 0;
    std::size_t requests = 0;
    std::size_t largest_request = 0;  // bytes
    std::size_t all_entries = 0;      // bytes of every entry: one RotateGroupKey's body
    long peak_kib = 0;                // this process's peak RSS growth during the rotation
  };

  // The group's key rotated in steps, as an administrator's agent does: each page of entries
  // made (split and wrapped to a device), sent, and let go before the next.
  Rotation rotate(std::size_t page_size) {
    Rotation out;
    long rss_before = reset_peak_rss();
    auto start = Clock::now();
    auto timed_call = [&](const Request& r) {
      out.largest_request = std::max(out.largest_request, r.body.size());
      ++out.requests;
      out.service_seconds += timed(r) / 1e6;
    };
    group_.rotate();
    timed_call(as_alice_request(
        "BeginRotation", service::BeginRotationRequest{group_.id(), group_.token(),
                                                       group_.record(service::RecordOp::rotate)}
                             .to_json()));
    const Point device = fill_device_.encryption.public_point();
    service::AddRotationEntriesRequest page{group_.id(), group_.key_id(), {}};
    auto send = [&] {
      Request r = as_alice_request("AddRotationEntries", page.to_json());
      out.all_entries += r.body.size();
      timed_call(r);
      page.entries.clear();
    };
    for (const auto& [id, state] : group_.chain.members()) {
      if (state.status == service::MemberStatus::revoked) continue;
      std::vector<Point> devices;
      if (id == alice_->id())
        devices = alice_->device_keys();
      else if (id == bob_->id())
        devices = bob_->device_keys();
      else
        devices = {device};
      page.entries.push_back(service::make_member_entry(id, state.account, state.privileges,
                                                        state.status, group_.secret(), devices));
      ++out.entries;
      if (page.entries.size() == page_size) send();
    }
    if (!page.entries.empty()) send();
    timed_call(as_alice_request(
        "CommitRotation", service::CommitRotationRequest{group_.id(), group_.key_id()}.to_json()));
    out.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    out.peak_kib = peak_rss_kib() - rss_before;
    return out;
  }

  // Moves what the fill wrote from the write-ahead log into the database, so that no round
  // pays for the fill's checkpoint.
  static void checkpoint(const std::filesystem::path& dir) {
    sqlite3* db = nullptr;
    if (sqlite3_open((dir / "recryptd.db").c_str(), &db) == SQLITE_OK)
      sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }

  // One round: the durations of each request, in microseconds.
  void round(int recrypts, std::map<std::string, std::vector<double>>& out) {
    auto p = make_person("new" + std::to_string(next_person_++) + "@example.com");
    publish(*p);
    out["AddMember"].push_back(add(*p));
    out["UpdateMember"].push_back(update(*bob_, service::MemberStatus::suspended));
    out["UpdateMember"].push_back(update(*bob_, service::MemberStatus::active));
    for (int i = 0; i < recrypts; ++i) out["RecryptData"].push_back(recrypt());
    out["GetGroup"].push_back(
        timed(as_alice_request("GetGroup", service::GetGroupRequest{group_.id()}.to_json())));
  }

 private:
  struct Request {
    std::string body;
    std::string signature;
  };

  static Request signed_by(const std::string& name, const Json& body, const TestDevice& d) {
    Request r{service::serialize_request(name, body), ""};
    r.signature = service::sign_request(r.body, d.signer(), d.kid(), kAudience);
    return r;
  }
  Request as_alice_request(const std::string& name, const Json& body) {
    return signed_by(name, body, *alice_->devices.front());
  }

  service::Reply call(const Request& r) {
    std::promise<service::Reply> answered;
    service_.handle(r.body, r.signature,
                    [&](service::Reply reply) { answered.set_value(std::move(reply)); });
    service::Reply reply = answered.get_future().get();
    if (reply.status / 100 != 2)
      throw std::runtime_error(reply.type + " answered " + std::to_string(reply.status) + ": " +
                               reply.body);
    return reply;
  }
  double timed(const Request& r) {
    auto start = Clock::now();
    call(r);
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }
  void as_alice(const std::string& name, const Json& body) { call(as_alice_request(name, body)); }

  void publish(const TestPerson& p) {
    Request r{service::serialize_request("PublishProfile",
                                         service::PublishProfileRequest{p.token()}.to_json()),
              ""};
    r.signature = service::sign_request(r.body, p.profile_signer(), p.id(), kAudience);
    call(r);
  }

  double add(const TestPerson& p) {
    return timed(as_alice_request(
        "AddMember", service::AddMemberRequest{group_.id(),
                                               {group_.entry_for(p, recrypt_only())},
                                               {group_.record(service::RecordOp::add,
                                                              {change(p, recrypt_only())})}}
                         .to_json()));
  }

  double update(const TestPerson& p, service::MemberStatus status) {
    return timed(as_alice_request(
        "UpdateMember",
        service::UpdateMemberRequest{
            group_.id(),
            p.id(),
            status,
            std::nullopt,
            std::nullopt,
            {group_.record(service::RecordOp::update, {change(p, recrypt_only(), status)})}}
            .to_json()));
  }

  double recrypt() {
    Point epk = Scalar::random(Curve::p256()).public_point();
    return timed(signed_by("RecryptData",
                           service::RecryptDataRequest{group_.id(), group_.key_id(), epk}.to_json(),
                           *bob_->devices.front()));
  }

  void write(const std::function<void(service::StoreWriter&)>& work) {
    std::promise<void> done;
    store_->write([&](service::StoreWriter& w) { work(w); },
                  [&](std::exception_ptr failure) {
                    if (failure)
                      done.set_exception(failure);
                    else
                      done.set_value();
                  });
    done.get_future().get();
  }

  std::unique_ptr<service::Store> store_;
  service::KeyVault vault_;
  service::Service service_;
  std::unique_ptr<TestPerson> alice_;
  std::unique_ptr<TestPerson> bob_;
  TestDevice fill_device_;  // the one device every filled member's rotated share is wrapped to
  TestGroup group_;
  int next_person_ = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recryptd's administration cost by group size"};
  std::vector<std::size_t> sizes{10, 1000, 100000};
  int rounds = 30;
  int recrypts = 5;
  std::string dir;
  std::size_t rotate = 0;
  std::size_t page = 200;
  app.add_option("--sizes", sizes, "group sizes, ascending")->delimiter(',');
  app.add_option("--rotate", rotate,
                 "instead: fill a group to this size and rotate its key in steps");
  app.add_option("--page", page, "member entries per AddRotationEntries");
  app.add_option("--rounds", rounds, "rounds per size");
  app.add_option("--recrypts", recrypts, "RecryptData per round");
  app.add_option("--dir", dir, "where the store goes (default: a fresh directory in /tmp)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::path where = dir.empty() ? std::filesystem::temp_directory_path() /
                                                  ("admin_scale-" + std::to_string(::getpid()))
                                            : std::filesystem::path(dir);
  std::filesystem::create_directories(where);
  // Per size and request: the median and the best of its rounds.
  std::map<std::size_t, std::map<std::string, std::pair<double, double>>> results;
  try {
    if (rotate != 0) {
      Bench bench(where);
      bench.fill(rotate);
      bench.checkpoint(where);
      Bench::Rotation r = bench.rotate(page);
      std::printf(
          "rotation of %zu members in steps of %zu: %.2f s (%.2f s in the service), %zu "
          "requests, the largest %zu bytes; peak RSS growth %ld KiB; one RotateGroupKey would "
          "carry %zu bytes and %zu entries (the service takes at most %zu)\n",
          r.entries, page, r.seconds, r.service_seconds, r.requests, r.largest_request, r.peak_kib,
          r.all_entries, r.entries, service::kMaxEntriesPerRequest);
      if (dir.empty()) std::filesystem::remove_all(where);
      return 0;
    }
    // One store and Service per size, each filled and checkpointed first; then the rounds go
    // size after size, so that a neighbour's load falls on every size alike.
    std::vector<std::unique_ptr<Bench>> benches;
    for (std::size_t size : sizes) {
      std::filesystem::path own = where / std::to_string(size);
      std::filesystem::create_directories(own);
      auto start = Clock::now();
      benches.push_back(std::make_unique<Bench>(own));
      benches.back()->fill(size);
      benches.back()->checkpoint(own);
      std::printf("%zu members filled in %.1f s\n", size,
                  std::chrono::duration<double>(Clock::now() - start).count());
      std::fflush(stdout);
    }
    std::vector<std::map<std::string, std::vector<double>>> samples(sizes.size());
    for (int i = 0; i <= rounds; ++i)
      for (std::size_t b = 0; b < benches.size(); ++b) {
        benches[b]->round(recrypts, samples[b]);
        if (i == 0) samples[b].clear();  // the first warms caches and pages up: not counted
      }
    for (std::size_t b = 0; b < benches.size(); ++b) {
      std::printf("%zu members, median (best) of %d:", benches[b]->members(), rounds);
      for (const auto& [name, v] : samples[b]) {
        results[sizes[b]][name] = {median(v), *std::min_element(v.begin(), v.end())};
        std::printf("  %s %.0f (%.0f) us", name.c_str(), median(v),
                    *std::min_element(v.begin(), v.end()));
      }
      std::printf("\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "admin_scale: %s\n", e.what());
    if (dir.empty()) std::filesystem::remove_all(where);
    return 1;
  }
  if (dir.empty()) std::filesystem::remove_all(where);
  if (sizes.size() >= 2) {
    std::size_t small = sizes.front();
    std::size_t large = sizes.back();
    std::printf(
        "ratio %zu / %zu members, of the medians and of the best (target <= 1.2 for the changes "
        "and RecryptData; GetGroup answers one page, at most 1000 members):\n",
        large, small);
    for (const auto& [name, us] : results[large])
      std::printf("  %-13s %.2f  %.2f\n", name.c_str(), us.first / results[small][name].first,
                  us.second / results[small][name].second);
  }
  return 0;
}
