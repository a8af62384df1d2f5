// group review: recryptions a group's policy holds for an administrator (docs/SERVICE.md §5b,
// Review), listed, approved or denied; and decrypt's side of it, which tells the user the
// request to wait for, or waits for it (--wait).
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include "client/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/documents.hpp"
#include "cli/exit_codes.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::cli {
namespace {

using agent_rpc::Code;
using agent_rpc::RpcError;

// How often decrypt --wait asks again: each ask is one RecryptData, audited as waiting.
constexpr auto kAskEvery = std::chrono::seconds(3);

struct ReviewOptions {
  std::string group;
  bool all = false;
  std::optional<std::uint64_t> approve, deny;
};

std::string describe(const Json& r) {
  std::string text = "request " + std::to_string(r["id"].get<std::uint64_t>()) + "  " +
                     r["state"].get<std::string>() + "  " + r["account"].get<std::string>() +
                     "  device " + r["device"].get<std::string>() + "  key " +
                     r["key_id"].get<std::string>();
  if (!r["document"].get<std::string>().empty())
    text += "  document " + r["document"].get<std::string>();
  text += "  asked " + service::rfc3339(r["requested"].get<std::int64_t>());
  if (r.contains("decided_by_account"))
    text += "  by " + r["decided_by_account"].get<std::string>() + " " +
            service::rfc3339(r["decided"].get<std::int64_t>());
  return text + "\n";
}

std::string waiting_text(const RpcError& e) {
  const Json& d = e.data();
  return "request " + std::to_string(d.value("request", std::uint64_t{0})) + " of group " +
         d.value("group", std::string("?"));
}

}  // namespace

SecretJson open_document(client::AgentClient& agent, const Json& request,
                         std::optional<unsigned> wait_seconds) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::seconds(wait_seconds.value_or(0));
  bool told = false;
  for (;;) {
    try {
      return agent.call_secret("document.open", request);
    } catch (const RpcError& e) {
      if (e.code() != Code::review_pending) throw;
      if (!wait_seconds)
        throw RpcError(Code::review_pending,
                       e.what() + std::string("; run the command again once an administrator "
                                              "approved it, or add --wait to wait for it"),
                       e.data());
      if (Clock::now() + kAskEvery > deadline)
        throw RpcError(Code::review_pending,
                       "still waiting for review after " + std::to_string(*wait_seconds) +
                           " seconds: " + waiting_text(e),
                       e.data());
      if (!told)
        std::cerr << "recrypt: waiting for an administrator to review " << waiting_text(e)
                  << " (up to " << *wait_seconds << " seconds)\n";
      told = true;
      std::this_thread::sleep_for(kAskEvery);
    }
  }
}

void add_review_commands(CLI::App& group, Cli& cli) {
  auto o = std::make_shared<ReviewOptions>();
  auto* review = group.add_subcommand(
      "review",
      "recryptions waiting for an administrator's review (ADMIN): list them, or approve or deny "
      "one. Without options, lists the pending ones.");
  review->add_option("group", o->group, "group")->required();
  review->add_flag("--all", o->all, "list decided requests too");
  auto* approve = review->add_option("--approve", o->approve, "approve request ID");
  auto* deny = review->add_option("--deny", o->deny, "deny request ID");
  approve->excludes(deny);
  review->callback([&cli, o] {
    cli.action = [&cli, o] {
      if (o->approve || o->deny) {
        bool yes = o->approve.has_value();
        Json r = cli.agent_call(
            "group.review_decide",
            Json{{"group", o->group}, {"request", yes ? *o->approve : *o->deny}, {"approve", yes}});
        cli.print(r, describe(r["review"]));
        return exit_code::ok;
      }
      Json r = cli.agent_call("group.reviews", Json{{"group", o->group}, {"all", o->all}});
      std::string text;
      for (const auto& x : r["reviews"]) text += describe(x);
      if (text.empty()) text = o->all ? "no review requests\n" : "no pending review requests\n";
      cli.print(r, text);
      return exit_code::ok;
    };
  });
}

}  // namespace recrypt::cli
