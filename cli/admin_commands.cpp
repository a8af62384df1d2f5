// group admin add|remove, group handover: co-administrators through the agent.
#include <iostream>

#include "cli/commands.hpp"

namespace recrypt::cli {
namespace {

struct AdminOptions {
  std::string group, member, fingerprint;
  bool super = false;
  bool stay_member = false;
};

void add_group_and_member(CLI::App* sub, const std::shared_ptr<AdminOptions>& o) {
  sub->add_option("group", o->group, "group")->required();
  sub->add_option("member", o->member, "member account or profile fingerprint")->required();
}

void add_fingerprint(CLI::App* sub, const std::shared_ptr<AdminOptions>& o) {
  sub->add_option("--fingerprint", o->fingerprint,
                  "the member's fingerprint, as they see it with `recrypt profile show`; needed "
                  "unless the account is pinned already");
}

}  // namespace

void add_admin_commands(CLI::App& group, Cli& cli) {
  auto o = std::make_shared<AdminOptions>();
  auto* admin = group.add_subcommand("admin", "co-administrators of a group");
  admin->require_subcommand(1);

  auto* add = admin->add_subcommand(
      "add", "make a member (or a new one) an administrator: ADMIN, or SUPER with --super");
  add_group_and_member(add, o);
  add_fingerprint(add, o);
  add->add_flag("--super", o->super, "SUPER: may also grant and take ADMIN and SUPER");
  add->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"group", o->group}, {"member", o->member}, {"super", o->super}};
      if (!o->fingerprint.empty()) params["fingerprint"] = o->fingerprint;
      Json r = cli.agent_call("group.admin_add", params);
      std::string privileges;
      for (const auto& p : r["privileges"]) privileges += " " + p.get<std::string>();
      cli.print(r, r["account"].get<std::string>() + " administers " + o->group + " (" +
                       privileges.substr(1) + ")");
      return 0;
    };
  });

  auto* remove = admin->add_subcommand("remove", "take an administrator's ADMIN and SUPER");
  add_group_and_member(remove, o);
  remove->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r =
          cli.agent_call("group.admin_remove", Json{{"group", o->group}, {"member", o->member}});
      if (!cli.quiet)
        std::cerr << "recrypt: " << r["account"].get<std::string>()
                  << " held the group key: rotate it (`recrypt group rotate " << o->group
                  << "`) so that later documents are closed to them\n";
      cli.print(r, r["account"].get<std::string>() + " no longer administers " + o->group);
      return 0;
    };
  });

  auto* handover = group.add_subcommand(
      "handover", "give a group to another administrator (SUPER), then step down");
  add_group_and_member(handover, o);
  add_fingerprint(handover, o);
  handover->add_flag("--stay-member", o->stay_member,
                     "stay a member with RECRYPT (default: revoked)");
  handover->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"group", o->group}, {"member", o->member}, {"stay_member", o->stay_member}};
      if (!o->fingerprint.empty()) params["fingerprint"] = o->fingerprint;
      Json r = cli.agent_call("group.handover", params);
      cli.print(r, o->group + " handed over to " + r["to"]["account"].get<std::string>() +
                       (o->stay_member ? "; you stay a member (RECRYPT)" : "; you are revoked"));
      return 0;
    };
  });
}

}  // namespace recrypt::cli
