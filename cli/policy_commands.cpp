// group policy: a group's rules at its service (docs/SERVICE.md §4.12), shown, or changed one
// setting at a time; what is not named stays as it is.
#include <optional>

#include "cli/commands.hpp"

namespace recrypt::cli {
namespace {

struct PolicyOptions {
  std::string group, hidden_membership, rotate_on_revoke, review, member;
  std::vector<std::string> review_keys;
  std::optional<std::uint32_t> per_hour, per_day;
  bool group_default = false;
};

std::string on_off(const Json& v) { return v.get<bool>() ? "on" : "off"; }

std::string limit(const Json& q, const char* per) {
  std::uint32_t n = q[per].get<std::uint32_t>();
  return n == 0 ? "no limit" : std::to_string(n);
}

std::string quota_text(const Json& q) {
  return limit(q, "per_hour") + " per hour, " + limit(q, "per_day") + " per day";
}

std::string describe(const Json& r) {
  const Json& p = r["policy"];
  std::string keys;
  for (const auto& k : p["review_keys"]) keys += " " + k.get<std::string>();
  std::string text = "group " + r["group"].get<std::string>() + "\n" + "hidden membership  " +
                     on_off(p["hidden_membership"]) + "\n" + "rotate on revoke   " +
                     on_off(p["rotate_on_revoke"]) + "\n" + "review             " +
                     (p["review"].get<bool>() ? std::string("every recryption")
                      : keys.empty()          ? std::string("off")
                                              : "recryptions under" + keys) +
                     "\n" + "quota              " + quota_text(p["quota"]) + "\n";
  for (const auto& m : p["member_quotas"]) {
    std::string who = m["account"].get<std::string>();
    if (who.empty()) who = m["member"].get<std::string>();
    text += "quota of " + who + "  " + quota_text(m) + "\n";
  }
  return text;
}

void on_off_option(CLI::App* sub, const char* name, std::string& value, const char* help) {
  sub->add_option(name, value, help)->check(CLI::IsMember({"on", "off"}));
}

}  // namespace

void add_policy_commands(CLI::App& group, Cli& cli) {
  auto o = std::make_shared<PolicyOptions>();
  auto* policy = group.add_subcommand(
      "policy",
      "show or change a group's rules at its service (ADMIN): hidden membership, rotation on "
      "revocation, review, quotas. Without options, shows them.");
  policy->add_option("group", o->group, "group")->required();
  on_off_option(policy, "--hidden-membership", o->hidden_membership,
                "on: members see only their own entry (`group show`); administrators see all");
  on_off_option(policy, "--rotate-on-revoke", o->rotate_on_revoke,
                "on: every `group revoke` also rotates the group key");
  on_off_option(policy, "--review", o->review,
                "on: every recryption waits for an administrator's `group review --approve`");
  policy->add_option("--review-key", o->review_keys,
                     "review only recryptions under this group key id (repeat for more; "
                     "`--review-key none` for none)");
  policy->add_option("--per-hour", o->per_hour,
                     "recryptions a member may ask for in any hour (0: no limit)");
  policy->add_option("--per-day", o->per_day,
                     "recryptions a member may ask for in any day (0: no limit)");
  auto* member = policy->add_option(
      "--member", o->member,
      "set --per-hour/--per-day for this member (account or fingerprint), not the group's "
      "default");
  policy
      ->add_flag("--group-default", o->group_default,
                 "with --member: drop the member's own quota, so the group's applies")
      ->needs(member);
  // Checked while the command line is parsed, so that a bad combination is a usage error.
  policy->callback([&cli, o] {
    Json params{{"group", o->group}};
    auto flag = [&](const char* key, const std::string& v) {
      if (!v.empty()) params[key] = v == "on";
    };
    flag("hidden_membership", o->hidden_membership);
    flag("rotate_on_revoke", o->rotate_on_revoke);
    flag("review", o->review);
    if (!o->review_keys.empty()) {
      Json keys = Json::array();
      for (const auto& k : o->review_keys)
        if (k != "none") keys.push_back(k);
      params["review_keys"] = keys;
    }
    bool quota = o->per_hour || o->per_day;
    if (o->group_default && quota)
      throw CLI::ValidationError(
          "--group-default drops a member's quota: give no --per-hour or --per-day with it");
    Json q = Json::object();
    if (o->per_hour) q["per_hour"] = *o->per_hour;
    if (o->per_day) q["per_day"] = *o->per_day;
    if (!o->member.empty()) {
      if (!quota && !o->group_default)
        throw CLI::ValidationError("--member needs --per-hour, --per-day or --group-default");
      params["member_quotas"] = Json{{o->member, o->group_default ? Json() : q}};
    } else if (quota) {
      params["quota"] = q;
    }
    cli.action = [&cli, params] {
      bool changes = params.size() > 1;
      Json r = cli.agent_call(changes ? "group.set_policy" : "group.policy", params);
      cli.print(r, describe(r));
      return 0;
    };
  });
}

}  // namespace recrypt::cli
