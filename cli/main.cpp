// recrypt: the command-line client. Key operations happen in recrypt-agent; this program
// streams files and prints results. See recrypt(1).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <iostream>

#include "agent/paths.hpp"
#include "cli/agent_client.hpp"
#include "cli/doctor.hpp"
#include "cli/documents.hpp"
#include "cli/exit_codes.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/atomic_file.hpp"
#include "protocol/error.hpp"
#include "protocol/udf.hpp"

namespace {
using namespace recrypt;
using namespace recrypt::cli;
using agent_rpc::Code;

struct Globals {
  std::string socket = agent::default_socket_path().string();
  bool json = false;
  bool quiet = false;
};

void print(const Globals& g, const Json& result, const std::string& human) {
  if (g.json) {
    std::cout << result.dump(2) << "\n";
  } else if (!g.quiet && !human.empty()) {
    std::cout << human << "\n";
  }
}

std::string describe_members(const Json& members) {
  std::string out;
  for (const auto& m : members) {
    out += "  " + m.value("account", std::string()) + "  " + m.value("member", std::string()) + "  " +
           m.value("status", std::string()) + "  ";
    for (const auto& p : m.value("privileges", Json::array())) out += p.get<std::string>() + " ";
    out += "\n";
  }
  return out;
}

// On a terminal, `group add ACCOUNT` without --fingerprint shows the fingerprint the service
// gives for a not yet pinned account and asks; the answer becomes the fingerprint to check.
// Returns "" when nothing was asked (pinned account, no terminal, or a fingerprint given).
std::string confirm_fingerprint(const std::function<Json(const std::string&, const Json&)>& agent_call,
                                const std::string& group, const std::string& account) {
  if (account.find('@') == std::string::npos || !::isatty(0) || !::isatty(2)) return {};
  Json r = agent_call("profile.lookup", Json{{"account", account}});
  if (r["pinned"].get<bool>()) return {};
  std::string id = r["id"].get<std::string>();
  std::cerr << "The service gives " << account << " the fingerprint\n    " << id << "\n"
            << "with " << r["devices"].size() << " device(s). Compare it with the one " << account
            << " sees with `recrypt profile show`.\nAdd " << account << " to " << group << "? [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes")
    throw agent_rpc::RpcError(Code::refused, "not added: the fingerprint was not confirmed");
  return id;
}

int exit_for(Code code) {
  switch (code) {
    case Code::auth_failed: return exit_code::auth;
    case Code::device_error: return exit_code::device;
    case Code::service_error: return exit_code::service;
    case Code::decrypt_failed:
    case Code::refused: return exit_code::refused;
    case Code::invalid_params:
    case Code::not_found:
    case Code::conflict: return exit_code::failure;
    default: return exit_code::failure;
  }
}

// The seeds' slash verbs, kept as aliases.
std::vector<std::string> translate_aliases(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty()) {
    if (args[0] == "/personal") args[0] = "personal";
    else if (args[0] == "/encrypt") args[0] = "encrypt";
    else if (args[0] == "/decrypt") args[0] = "decrypt";
    else if (args[0] == "/newgroup") {
      args[0] = "create";
      args.insert(args.begin(), "group");
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recrypt: end-to-end encryption for groups whose membership changes (Mesh/Recrypt)", "recrypt"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--socket", g.socket, "agent socket")->capture_default_str();
  app.add_flag("--json", g.json, "print results as JSON");
  app.add_flag("-q,--quiet", g.quiet, "print nothing on success");
  app.set_version_flag("--version", std::string("recrypt ") + RECRYPT_VERSION);
  app.footer("Exit codes: 0 ok, 1 failure, 2 usage, 3 no agent, 4 refused/not decryptable, 5 bad input,\n"
             "6 wrong PIN/passphrase, 7 service failure, 8 device failure.");

  std::function<int()> action;
  auto agent_call = [&g](const std::string& method, const Json& params) {
    AgentClient client(g.socket);
    return client.call(method, params);
  };

  // personal
  std::string account, service, backend_name, device_name = "default";
  auto* personal = app.add_subcommand("personal", "create your profile and first device (alias /personal)");
  personal->add_option("account", account, "your account, e.g. alice@example.com")->required();
  personal->add_option("-s,--service", service, "recryption service: a URL (http://127.0.0.1:8080) or a domain to look up in DNS (_recrypt._tcp SRV)")->required();
  personal->add_option("-b,--backend", backend_name, "soft, tpm or pkcs11 (default: the agent's)");
  personal->add_option("-d,--device", device_name, "name of this device")->capture_default_str();
  personal->callback([&] {
    action = [&] {
      Json params{{"account", account}, {"service", service}, {"device", device_name}};
      if (!backend_name.empty()) params["backend"] = backend_name;
      Json r = agent_call("profile.create", params);
      print(g, r, "profile " + r["account"].get<std::string>() + "\nfingerprint " + r["id"].get<std::string>());
      return 0;
    };
  });

  // device
  auto* device = app.add_subcommand("device", "manage this profile's devices");
  device->require_subcommand(1);
  std::string dev_name;
  auto* dev_add = device->add_subcommand("add", "add a device (new keys on a backend)");
  dev_add->add_option("name", dev_name, "device name")->required();
  dev_add->add_option("-b,--backend", backend_name, "soft, tpm or pkcs11");
  dev_add->callback([&] {
    action = [&] {
      Json params{{"name", dev_name}};
      if (!backend_name.empty()) params["backend"] = backend_name;
      Json r = agent_call("device.add", params);
      print(g, r, "device " + dev_name + " added");
      return 0;
    };
  });
  device->add_subcommand("list", "list devices")->callback([&] {
    action = [&] {
      Json r = agent_call("device.list", Json::object());
      std::string text;
      for (const auto& d : r)
        text += d["name"].get<std::string>() + "  " + d["backend"].get<std::string>() +
                (d["present"].get<bool>() ? "" : "  (absent)") + "\n";
      print(g, r, text);
      return 0;
    };
  });
  auto* dev_remove = device->add_subcommand("remove", "remove a lost or retired device");
  dev_remove->add_option("name", dev_name, "device name")->required();
  dev_remove->callback([&] {
    action = [&] {
      Json r = agent_call("device.remove", Json{{"name", dev_name}});
      print(g, r, "device " + dev_name + " removed; ask your group administrators to re-split you");
      return 0;
    };
  });

  // profile
  auto* profile_cmd = app.add_subcommand("profile", "your profile");
  profile_cmd->require_subcommand(1);
  profile_cmd->add_subcommand("show", "your account, fingerprint and devices, to give to administrators")
      ->callback([&] {
        action = [&] {
          Json r = agent_call("profile.show", Json::object());
          std::string text = "account      " + r["account"].get<std::string>() + "\nfingerprint  " +
                             r["id"].get<std::string>() + "\nservice      " + r["service"].get<std::string>() + "\n";
          for (const auto& d : r["devices"])
            text += "device       " + d["name"].get<std::string>() + " (" + d["backend"].get<std::string>() + ")\n";
          r.erase("profile");
          print(g, r, text);
          return 0;
        };
      });

  // known
  auto* known = app.add_subcommand("known", "accounts and groups pinned on first use (like known_hosts)");
  known->require_subcommand(1);
  known->add_subcommand("list", "list the pins")->callback([&] {
    action = [&] {
      Json r = agent_call("known.list", Json::object());
      std::string text;
      for (const auto& p : r)
        text += p["kind"].get<std::string>() + "  " + p["name"].get<std::string>() + "  " + p["id"].get<std::string>() + "\n";
      print(g, r, text);
      return 0;
    };
  });
  std::string known_name;
  auto* forget = known->add_subcommand("forget", "forget a pin, to accept a new key you confirmed out of band");
  forget->add_option("name", known_name, "account or group name")->required();
  forget->callback([&] {
    action = [&] {
      print(g, agent_call("known.forget", Json{{"name", known_name}}), "forgot " + known_name);
      return 0;
    };
  });

  // group
  auto* group = app.add_subcommand("group", "create and administer groups");
  group->require_subcommand(1);
  std::string group_name, member, fingerprint, output;
  std::vector<std::string> privileges;
  bool inactive = false;
  auto* create = group->add_subcommand("create", "create a group you administer (alias /newgroup)");
  create->add_option("name", group_name, "group name, e.g. friends@example.com")->required();
  create->add_option("-b,--backend", backend_name, "where the group key is sealed (soft, tpm, pkcs11)");
  create->callback([&] {
    action = [&] {
      Json params{{"name", group_name}};
      if (!backend_name.empty()) params["backend"] = backend_name;
      Json r = agent_call("group.create", params);
      print(g, r, "group " + group_name + "\nfingerprint " + r["id"].get<std::string>());
      return 0;
    };
  });
  auto* add = group->add_subcommand("add", "add a member");
  add->add_option("group", group_name, "group")->required();
  add->add_option("member", member, "member account or profile fingerprint")->required();
  add->add_option("--fingerprint", fingerprint,
                  "the member's fingerprint, as they see it with `recrypt profile show`; needed the first time an "
                  "account is added, unless you confirm it on a terminal");
  add->add_option("--privileges", privileges, "RECRYPT, ADMIN, SUPER (default RECRYPT)")
      ->delimiter(',')
      ->allow_extra_args(false);
  add->add_flag("--inactive", inactive, "create the entry suspended");
  add->callback([&] {
    action = [&] {
      Json params{{"group", group_name}, {"member", member}, {"inactive", inactive}};
      if (fingerprint.empty()) fingerprint = confirm_fingerprint(agent_call, group_name, member);
      if (!fingerprint.empty()) params["fingerprint"] = fingerprint;
      if (!privileges.empty()) params["privileges"] = privileges;
      Json r = agent_call("group.add", params);
      print(g, r, "added " + r["account"].get<std::string>() + " (" + r["member"].get<std::string>() + ") to " + group_name);
      return 0;
    };
  });
  for (const char* verb : {"suspend", "revoke", "reinstate", "resplit"}) {
    std::string summary = std::string(verb) == "resplit" ? "give a member a fresh share (after a lost device)"
                                                         : std::string(verb) + " a member";
    auto* sub = group->add_subcommand(verb, summary);
    sub->add_option("group", group_name, "group")->required();
    sub->add_option("member", member, "member account or profile fingerprint")->required();
    sub->callback([&, verb] {
      action = [&, verb] {
        Json r = agent_call(std::string("group.") + verb, Json{{"group", group_name}, {"member", member}});
        print(g, r, std::string(verb) + ": " + member + " in " + group_name + " done");
        return 0;
      };
    });
  }
  auto* rotate = group->add_subcommand("rotate", "new group key; every member but the revoked gets a new share");
  rotate->add_option("group", group_name, "group")->required();
  rotate->callback([&] {
    action = [&] {
      Json r = agent_call("group.rotate", Json{{"group", group_name}});
      // Members the service lists that no administrator's record vouches for got nothing.
      for (const auto& x : r.value("refused", Json::array()))
        std::cerr << "recrypt: not given the new key: " << x["account"].get<std::string>() << " ("
                  << x["member"].get<std::string>() << "): " << x["reason"].get<std::string>() << "\n";
      print(g, r, "group " + group_name + " rotated to key " + r["key_id"].get<std::string>());
      return 0;
    };
  });
  auto* show = group->add_subcommand("show", "members of a group");
  show->add_option("group", group_name, "group")->required();
  show->callback([&] {
    action = [&] {
      Json r = agent_call("group.show", Json{{"group", group_name}});
      std::string text = r["name"].get<std::string>() + "  " + r["id"].get<std::string>() + "\n" + describe_members(r["members"]);
      if (!r["unverified"].empty())
        text += "the service also lists, without an administrator's record to show for it:\n" +
                describe_members(r["unverified"]);
      print(g, r, text);
      return 0;
    };
  });
  group->add_subcommand("list", "groups you administer")->callback([&] {
    action = [&] {
      Json r = agent_call("group.list", Json::object());
      std::string text;
      for (const auto& x : r) text += x["name"].get<std::string>() + "  " + x["id"].get<std::string>() + "\n";
      print(g, r, text);
      return 0;
    };
  });
  auto* audit = group->add_subcommand("audit", "the service's audit log of a group (ADMIN)");
  audit->add_option("group", group_name, "group")->required();
  audit->callback([&] {
    action = [&] {
      Json r = agent_call("group.audit", Json{{"group", group_name}});
      std::string text;
      for (const auto& x : r) text += x.dump() + "\n";
      print(g, r, text);
      return 0;
    };
  });
  auto* exp = group->add_subcommand("export", "write the group's signed profile, to encrypt to it offline");
  exp->add_option("group", group_name, "group")->required();
  exp->add_option("-o,--output", output, "file (default: stdout)");
  exp->callback([&] {
    action = [&] {
      Json r = agent_call("group.recipient", Json{{"group", group_name}});
      std::string token = r["profile"].get<std::string>() + "\n";
      if (output.empty() || output == "-") {
        std::cout << token;
      } else {
        write_file_atomic(output, as_bytes(token), 0644);
        if (!g.quiet) std::cerr << "wrote " << output << " (group " << r["name"].get<std::string>() << ", fingerprint "
                                << r["id"].get<std::string>() << ")\n";
      }
      return 0;
    };
  });

  // encrypt / decrypt
  EncryptOptions enc;
  std::string all_of;
  bool no_progress = false;
  auto* encrypt = app.add_subcommand("encrypt", "encrypt a file to groups (alias /encrypt)");
  encrypt->add_option("input", enc.input, "file to encrypt (default: stdin)");
  encrypt->add_option("-r,--recipient", enc.groups,
                      "group name or fingerprint, looked up by the agent (never a file: use -R); any of them may read")
      ->allow_extra_args(false);
  encrypt->add_option("-R,--recipient-file", enc.recipient_files, "file of a signed group profile from `group export` (offline)")
      ->allow_extra_args(false);
  encrypt->add_option("--all-of", all_of, "G1,G2,...: group names; only members of every group may read");
  encrypt->add_option("-o,--output", enc.output, "output file (default: INPUT.jcd, or stdout)");
  encrypt->add_option("--type", enc.media_type, "media type to record, e.g. text/plain");
  encrypt->add_flag("-f,--force", enc.force, "replace an existing output file");
  encrypt->add_flag("--no-progress", no_progress, "no progress line");
  encrypt->callback([&] {
    action = [&] {
      if (!all_of.empty()) {
        std::stringstream ss(all_of);
        for (std::string part; std::getline(ss, part, ',');)
          if (!part.empty()) enc.all_of.push_back(part);
      }
      enc.progress = !no_progress;
      bool need_agent = !enc.groups.empty() || !enc.all_of.empty();
      std::unique_ptr<AgentClient> client;
      if (need_agent) client = std::make_unique<AgentClient>(g.socket);
      Json r = encrypt_file(enc, client.get());
      print(g, r, g.quiet || r["output"] == "-" ? "" : "encrypted to " + r["output"].get<std::string>());
      return 0;
    };
  });
  DecryptOptions dec;
  auto* decrypt = app.add_subcommand("decrypt", "decrypt a .jcd file (alias /decrypt)");
  decrypt->add_option("input", dec.input, "file to decrypt (default: stdin)");
  decrypt->add_option("-o,--output", dec.output, "output file (default: INPUT without .jcd, or stdout)");
  decrypt->add_flag("-f,--force", dec.force, "replace an existing output file");
  decrypt->add_flag("--no-progress", no_progress, "no progress line");
  decrypt->callback([&] {
    action = [&] {
      dec.progress = !no_progress;
      AgentClient client(g.socket);
      Json r = decrypt_file(dec, client);
      std::string via;
      for (const auto& v : r.value("via", Json::array())) via += (via.empty() ? "" : ", ") + v.get<std::string>();
      if (r["output"] != "-") print(g, r, "decrypted to " + r["output"].get<std::string>() + " (via " + via + ")");
      return 0;
    };
  });

  // fingerprint
  std::string fp_file, fp_type = "application/octet-stream";
  auto* fp = app.add_subcommand("fingerprint", "UDF fingerprint of a file, or of a signed profile's key");
  fp->add_option("file", fp_file, "file")->required();
  fp->add_option("--type", fp_type, "content type of the data")->capture_default_str();
  fp->callback([&] {
    action = [&] {
      Bytes data = read_file(fp_file, std::size_t{1} << 30);
      std::string udf_text = udf::fingerprint(fp_type, data);
      print(g, Json{{"fingerprint", udf_text}}, udf_text);
      return 0;
    };
  });

  // agent status
  auto* agent_cmd = app.add_subcommand("agent", "talk to the agent");
  agent_cmd->require_subcommand(1);
  agent_cmd->add_subcommand("status", "is the agent running, and what does it hold")->callback([&] {
    action = [&] {
      Json r = agent_call("agent.status", Json::object());
      std::string text = "recrypt-agent " + r["version"].get<std::string>() + " on " + g.socket + "\n";
      for (const auto& b : r["backends"])
        text += "  backend " + b["name"].get<std::string>() + (b["present"].get<bool>() ? " present" : " absent") + "\n";
      if (r.contains("profile")) text += "  profile " + r["profile"]["account"].get<std::string>() + "\n";
      print(g, r, text);
      return 0;
    };
  });
  agent_cmd->add_subcommand("lock", "forget cached PINs and unlocked keys")->callback([&] {
    action = [&] {
      print(g, agent_call("agent.lock", Json::object()), "agent locked");
      return 0;
    };
  });

  // doctor (cli/doctor.cpp)
  auto* doctor = app.add_subcommand("doctor", "check this machine's recrypt setup and say how to fix each problem");
  doctor->add_flag("--json", g.json, "print results as JSON");
  doctor->callback([&] {
    action = [&] {
      DoctorOptions options;
      options.socket = g.socket;
      options.json = g.json;
      return run_doctor(options);
    };
  });

  try {
    app.parse(translate_aliases(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : exit_code::usage;
  }
  try {
    return action ? action() : exit_code::usage;
  } catch (const AgentUnreachable& e) {
    std::cerr << "recrypt: " << e.what() << "\n";
    return exit_code::no_agent;
  } catch (const agent_rpc::RpcError& e) {
    std::cerr << "recrypt: " << e.what() << "\n";
    return exit_for(e.code());
  } catch (const Error& e) {
    std::cerr << "recrypt: " << e.what() << "\n";
    if (e.code() == Errc::io) return exit_code::failure;
    return exit_code::bad_input;
  } catch (const std::exception& e) {
    std::cerr << "recrypt: " << e.what() << "\n";
    return exit_code::failure;
  }
}
