// group ...: creating and administering groups through the agent.
#include <unistd.h>

#include <iostream>

#include "base/atomic_file.hpp"
#include "cli/age_export.hpp"
#include "cli/commands.hpp"
#include "protocol/agent/rpc.hpp"

namespace recrypt::cli {
namespace {

struct Options {
  std::string group, member, fingerprint, output, backend, name;
  std::vector<std::string> privileges;
  bool inactive = false, none = false, rotate = false;
  bool age = false;      // export: the age recipient
  std::size_t page = 0;  // rotate: member entries per request; 0 is the agent's default
};

std::string describe_members(const Json& members) {
  std::string out;
  for (const auto& m : members) {
    out += "  " + m.value("account", std::string()) + "  " + m.value("member", std::string()) +
           "  " + m.value("status", std::string()) + "  ";
    for (const auto& p : m.value("privileges", Json::array())) out += p.get<std::string>() + " ";
    out += "\n";
  }
  return out;
}

// On a terminal, `group add ACCOUNT` without --fingerprint shows the fingerprint the service
// gives for a not yet pinned account and asks; the answer becomes the fingerprint to check.
// Returns "" when nothing was asked (pinned account, no terminal).
std::string confirm_fingerprint(const Cli& cli, const std::string& group,
                                const std::string& account) {
  if (account.find('@') == std::string::npos || !::isatty(0) || !::isatty(2)) return {};
  Json r = cli.agent_call("profile.lookup", Json{{"account", account}});
  if (r["pinned"].get<bool>()) return {};
  std::string id = r["id"].get<std::string>();
  std::cerr << "The service gives " << account << " the fingerprint\n    " << id << "\n"
            << "with " << r["devices"].size() << " device(s). Compare it with the one " << account
            << " sees with `recrypt profile show`.\nAdd " << account << " to " << group
            << "? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes")
    throw agent_rpc::RpcError(agent_rpc::Code::refused,
                              "not added: the fingerprint was not confirmed");
  return id;
}

CLI::App* group_command(CLI::App& group, const std::shared_ptr<Options>& o, const char* name,
                        const char* summary) {
  auto* sub = group.add_subcommand(name, summary);
  sub->add_option("group", o->group, "group")->required();
  return sub;
}

void add_membership_commands(CLI::App& group, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* add = group_command(group, o, "add", "add a member");
  add->add_option("member", o->member, "member account or profile fingerprint")->required();
  add->add_option("--fingerprint", o->fingerprint,
                  "the member's fingerprint, as they see it with `recrypt profile show`; needed "
                  "the first time an "
                  "account is added, unless you confirm it on a terminal");
  add->add_option("--privileges", o->privileges, "RECRYPT, ADMIN, SUPER (default RECRYPT)")
      ->delimiter(',')
      ->allow_extra_args(false);
  add->add_flag("--inactive", o->inactive, "create the entry suspended");
  add->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"group", o->group}, {"member", o->member}, {"inactive", o->inactive}};
      if (o->fingerprint.empty()) o->fingerprint = confirm_fingerprint(cli, o->group, o->member);
      if (!o->fingerprint.empty()) params["fingerprint"] = o->fingerprint;
      if (!o->privileges.empty()) params["privileges"] = o->privileges;
      Json r = cli.agent_call("group.add", params);
      cli.print(r, "added " + r["account"].get<std::string>() + " (" +
                       r["member"].get<std::string>() + ") to " + o->group);
      return 0;
    };
  });
  for (const char* verb : {"suspend", "revoke", "reinstate", "resplit"}) {
    std::string summary = std::string(verb) == "resplit"
                              ? "give a member a fresh share (after a lost device)"
                              : std::string(verb) + " a member";
    auto* sub = group_command(group, o, verb, summary.c_str());
    sub->add_option("member", o->member, "member account or profile fingerprint")->required();
    if (std::string(verb) == "revoke")
      sub->add_flag("--rotate", o->rotate,
                    "rotate the group key at once, so that no service can let the member read "
                    "what is sent from now on (always, under `group policy --rotate-on-revoke "
                    "on`)");
    sub->callback([&cli, o, verb] {
      cli.action = [&cli, o, verb] {
        Json params{{"group", o->group}, {"member", o->member}};
        if (o->rotate) params["rotate"] = true;
        Json r = cli.agent_call(std::string("group.") + verb, params);
        std::string text = std::string(verb) + ": " + o->member + " in " + o->group + " done";
        if (r.contains("rotated"))
          text += "; rotated to key " + r["rotated"]["key_id"].get<std::string>() +
                  (r.value("rotated_by_policy", false) ? " (the group's policy rotates on every "
                                                         "revocation)"
                                                       : "");
        cli.print(r, text);
        return 0;
      };
    });
  }
  auto* rotate = group_command(group, o, "rotate",
                               "new group key; every member but the revoked gets a new share");
  rotate
      ->add_option("--page", o->page,
                   "member entries per request (default 200): a larger group rotates in steps, "
                   "and serves its old key until the last one")
      ->check(CLI::Range(1, 1000));
  rotate->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"group", o->group}};
      if (o->page != 0) params["page"] = o->page;
      Json r = cli.agent_call("group.rotate", params);
      // Members the service lists that no administrator's record vouches for got nothing.
      for (const auto& x : r.value("refused", Json::array()))
        std::cerr << "recrypt: not given the new key: " << x["account"].get<std::string>() << " ("
                  << x["member"].get<std::string>() << "): " << x["reason"].get<std::string>()
                  << "\n";
      cli.print(r, "group " + o->group + " rotated to key " + r["key_id"].get<std::string>());
      return 0;
    };
  });
}

// privileges, update, leave: a member's privileges, the group's name, and leaving it.
void add_member_commands(CLI::App& group, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* privileges =
      group_command(group, o, "privileges", "set a member's privileges: RECRYPT, or none (--none)");
  privileges->add_option("member", o->member, "member account or profile fingerprint")->required();
  privileges->add_option("privileges", o->privileges, "RECRYPT (ADMIN and SUPER: group admin)")
      ->delimiter(',');
  privileges->add_flag("--none", o->none, "no privileges: the member stays, but cannot decrypt");
  privileges->callback([&cli, o] {
    if (o->none == !o->privileges.empty())
      throw CLI::ValidationError("privileges", "give the privileges (RECRYPT) or --none");
    cli.action = [&cli, o] {
      Json list = Json::array();
      for (const auto& p : o->privileges) list.push_back(p);
      Json r =
          cli.agent_call("group.privileges",
                         Json{{"group", o->group}, {"member", o->member}, {"privileges", list}});
      std::string names;
      for (const auto& p : r["privileges"])
        names += (names.empty() ? "" : ",") + p.get<std::string>();
      cli.print(r, r["account"].get<std::string>() + " in " + o->group + ": " +
                       (names.empty() ? "no privileges" : names) +
                       (r["changed"].get<bool>() ? "" : " (unchanged)"));
      return 0;
    };
  });
  auto* update = group_command(group, o, "update",
                               "rename a group: its profile is re-signed with the new name");
  update->add_option("--name", o->name, "the new name, e.g. team@example.com")->required();
  update->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("group.update", Json{{"group", o->group}, {"name", o->name}});
      cli.print(r, "group " + r["old_name"].get<std::string>() + " is now " +
                       r["name"].get<std::string>() + " (fingerprint " +
                       r["id"].get<std::string>() + ")");
      return 0;
    };
  });
  group_command(group, o, "leave", "leave a group: you revoke yourself")->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("group.leave", Json{{"group", o->group}});
      cli.print(r, "left " + r["group"].get<std::string>() +
                       (r["forgot_keys"].get<bool>() ? "; this agent forgot its keys" : ""));
      return 0;
    };
  });
}

void add_reading_commands(CLI::App& group, Cli& cli, const std::shared_ptr<Options>& o) {
  group_command(group, o, "show", "members of a group")->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("group.show", Json{{"group", o->group}});
      std::string text = r["name"].get<std::string>() + "  " + r["id"].get<std::string>() + "\n";
      if (!r.value("verified", true))
        text +=
            "the group's membership is hidden from its members: your own entry, as its "
            "service states it\n";
      text += describe_members(r["members"]);
      if (!r["unverified"].empty())
        text += "the service also lists, without an administrator's record to show for it:\n" +
                describe_members(r["unverified"]);
      cli.print(r, text);
      return 0;
    };
  });
  group.add_subcommand("list", "groups you administer")->callback([&cli] {
    cli.action = [&cli] {
      Json r = cli.agent_call("group.list", Json::object());
      std::string text;
      for (const auto& x : r)
        text += x["name"].get<std::string>() + "  " + x["id"].get<std::string>() + "\n";
      cli.print(r, text);
      return 0;
    };
  });
  auto* exp = group_command(group, o, "export",
                            "write the group's signed profile, to encrypt to it offline");
  exp->add_option("-o,--output", o->output, "file (default: stdout)");
  exp->add_flag("--age", o->age,
                "the group's age recipient (age1recrypt1...) instead, for age -r "
                "(docs/AGE_PLUGIN.md)");
  exp->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("group.recipient", Json{{"group", o->group}});
      if (o->age) {
        cli.write_public(o->output, age_recipient(r["profile"].get<std::string>()) + "\n",
                         "age recipient of group " + r["name"].get<std::string>());
        return 0;
      }
      cli.write_public(
          o->output, r["profile"].get<std::string>() + "\n",
          "group " + r["name"].get<std::string>() + ", fingerprint " + r["id"].get<std::string>());
      return 0;
    };
  });
}

}  // namespace

void add_group_commands(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<Options>();
  auto* group = app.add_subcommand("group", "create and administer groups");
  group->require_subcommand(1);
  auto* create = group->add_subcommand("create", "create a group you administer (alias /newgroup)");
  create->add_option("name", o->group, "group name, e.g. friends@example.com")->required();
  create->add_option("-b,--backend", o->backend,
                     "where the group key is sealed (soft, tpm, pkcs11)");
  create->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"name", o->group}};
      if (!o->backend.empty()) params["backend"] = o->backend;
      Json r = cli.agent_call("group.create", params);
      cli.print(r, "group " + o->group + "\nfingerprint " + r["id"].get<std::string>());
      return 0;
    };
  });
  add_membership_commands(*group, cli, o);
  add_member_commands(*group, cli, o);
  add_reading_commands(*group, cli, o);
  add_escrow_commands(*group, cli);
  add_admin_commands(*group, cli);
  add_policy_commands(*group, cli);
  add_review_commands(*group, cli);
  add_audit_commands(*group, cli);
  group_command(*group, o, "join",
                "join a group on another service (NAME@DOMAIN) you were added to, to read its "
                "documents")
      ->callback([&cli, o] {
        cli.action = [&cli, o] {
          Json r = cli.agent_call("group.join", Json{{"group", o->group}});
          cli.print(r, "joined " + r["group"].get<std::string>() + " (" +
                           r["id"].get<std::string>() + ") at " + r["service"].get<std::string>());
          return 0;
        };
      });
}

}  // namespace recrypt::cli
