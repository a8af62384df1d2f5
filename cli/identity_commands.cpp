// personal, profile, known, device: this user's own identity and whom it has pinned.
#include <iostream>

#include "base/atomic_file.hpp"
#include "client/agent_client.hpp"
#include "cli/commands.hpp"

namespace recrypt::cli {
namespace {

struct Options {
  std::string account, service, backend, device = "default", name, on_off;
  std::string encryption_key, signing_key, profile_key;
  std::string output;
};

constexpr const char* kAdoptHelp =
    "use this existing key instead of making one: a key id from `recrypt agent keys`, a "
    "PKCS#11 key URI, or a PIV slot (9a, 9c, 9d, 9e, 82-95) on a smartcard or YubiKey";

void add_key_options(CLI::App* cmd, const std::shared_ptr<Options>& o) {
  cmd->add_option("--encryption-key", o->encryption_key, kAdoptHelp);
  cmd->add_option("--signing-key", o->signing_key, kAdoptHelp);
}

void put_key_options(Json& params, const Options& o) {
  if (!o.encryption_key.empty()) params["encryption_key"] = o.encryption_key;
  if (!o.signing_key.empty()) params["signing_key"] = o.signing_key;
  if (!o.profile_key.empty()) params["profile_key"] = o.profile_key;
}

void add_personal(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* personal =
      app.add_subcommand("personal", "create your profile and first device (alias /personal)");
  personal->add_option("account", o->account, "your account, e.g. alice@example.com")->required();
  personal
      ->add_option("-s,--service", o->service,
                   "recryption service: a URL (http://127.0.0.1:8080) or a domain to look up in "
                   "DNS (_recrypt._tcp SRV)")
      ->required();
  personal->add_option("-b,--backend", o->backend, "soft, tpm or pkcs11 (default: the agent's)");
  personal->add_option("-d,--device", o->device, "name of this device")->capture_default_str();
  add_key_options(personal, o);
  personal->add_option("--profile-key", o->profile_key, kAdoptHelp);
  personal->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"account", o->account}, {"service", o->service}, {"device", o->device}};
      if (!o->backend.empty()) params["backend"] = o->backend;
      put_key_options(params, *o);
      Json r = cli.agent_call("profile.create", params);
      cli.print(r, "profile " + r["account"].get<std::string>() + "\nfingerprint " +
                       r["id"].get<std::string>());
      return 0;
    };
  });
}

// A fingerprint in groups of four, numbered, for reading aloud over the phone: "1 MB2G  2 ...".
std::string spoken(const std::string& udf) {
  std::string out;
  int n = 0;
  std::size_t at = 0;
  while (at < udf.size()) {
    std::size_t dash = udf.find('-', at);
    if (dash == std::string::npos) dash = udf.size();
    out += (out.empty() ? "" : "  ") + std::to_string(++n) + " " + udf.substr(at, dash - at);
    at = dash + 1;
  }
  return out;
}

void add_profile(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* profile = app.add_subcommand("profile", "your profile");
  profile->require_subcommand(1);
  profile
      ->add_subcommand("show", "your account, fingerprint and devices, to give to administrators")
      ->callback([&cli] {
        cli.action = [&cli] {
          Json r = cli.agent_call("profile.show", Json::object());
          const std::string id = r["id"].get<std::string>();
          std::string text = "account      " + r["account"].get<std::string>() + "\nfingerprint  " +
                             id + "\nread aloud   " + spoken(id) + "\nservice      " +
                             r["service"].get<std::string>() + "\n";
          for (const auto& d : r["devices"]) {
            text += "device       " + d["name"].get<std::string>() + " (" +
                    d["backend"].get<std::string>() + ")\n";
            if (d.contains("encryption_fingerprint"))
              text += "  encryption " + d["encryption_fingerprint"].get<std::string>() +
                      "\n  signing    " + d["signing_fingerprint"].get<std::string>() + "\n";
          }
          r.erase("profile");
          cli.print(r, text);
          return 0;
        };
      });
  auto* exp = profile->add_subcommand(
      "export", "write your signed profile, for `recrypt fingerprint` or to hand over in person");
  exp->add_option("-o,--output", o->output, "file (default: stdout)");
  exp->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("profile.show", Json::object());
      cli.write_public(
          o->output, r["profile"].get<std::string>() + "\n",
          r["account"].get<std::string>() + ", fingerprint " + r["id"].get<std::string>());
      return 0;
    };
  });
}

void add_known(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* known =
      app.add_subcommand("known", "accounts and groups pinned on first use (like known_hosts)");
  known->require_subcommand(1);
  known->add_subcommand("list", "list the pins")->callback([&cli] {
    cli.action = [&cli] {
      Json r = cli.agent_call("known.list", Json::object());
      std::string text;
      for (const auto& p : r)
        text += p["kind"].get<std::string>() + "  " + p["name"].get<std::string>() + "  " +
                p["id"].get<std::string>() + "\n";
      cli.print(r, text);
      return 0;
    };
  });
  auto* forget = known->add_subcommand(
      "forget", "forget a pin, to accept a new key you confirmed out of band");
  forget->add_option("name", o->name, "account or group name")->required();
  forget->callback([&cli, o] {
    cli.action = [&cli, o] {
      cli.print(cli.agent_call("known.forget", Json{{"name", o->name}}), "forgot " + o->name);
      return 0;
    };
  });
}

void add_device(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* device = app.add_subcommand("device", "manage this profile's devices");
  device->require_subcommand(1);
  auto* add = device->add_subcommand("add", "add a device (new keys on a backend)");
  add->add_option("name", o->name, "device name")->required();
  add->add_option("-b,--backend", o->backend, "soft, tpm or pkcs11");
  add_key_options(add, o);
  add->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"name", o->name}};
      if (!o->backend.empty()) params["backend"] = o->backend;
      put_key_options(params, *o);
      Json r = cli.agent_call("device.add", params);
      cli.print(r, "device " + o->name + " added");
      return 0;
    };
  });
  device->add_subcommand("list", "list devices")->callback([&cli] {
    cli.action = [&cli] {
      Json r = cli.agent_call("device.list", Json::object());
      std::string text;
      for (const auto& d : r)
        text += d["name"].get<std::string>() + "  " + d["backend"].get<std::string>() +
                "  auth: " + d.value("auth", "?") +
                "  confirm: " + (d.value("confirm_decrypt", false) ? "on" : "off") +
                (d["present"].get<bool>() ? "" : "  (absent)") + "\n";
      cli.print(r, text);
      return 0;
    };
  });
  auto* confirm = device->add_subcommand("confirm",
                                         "on: the agent asks you (pinentry) before each decryption "
                                         "with this device; off: it does not");
  confirm->add_option("name", o->name, "device name")->required();
  confirm->add_option("setting", o->on_off, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  confirm->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r =
          cli.agent_call("device.confirm", Json{{"name", o->name}, {"confirm", o->on_off == "on"}});
      cli.print(r,
                "device " + o->name + ": decryption asks first " +
                    (o->on_off == "on" ? "(on)" : "only if the agent's --confirm says so (off)"));
      return 0;
    };
  });
  auto* remove = device->add_subcommand("remove", "remove a lost or retired device");
  remove->add_option("name", o->name, "device name")->required();
  remove->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json r = cli.agent_call("device.remove", Json{{"name", o->name}});
      cli.print(r, "device " + o->name + " removed; ask your group administrators to re-split you");
      return 0;
    };
  });
}

}  // namespace

void add_identity_commands(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<Options>();
  add_personal(app, cli, o);
  add_profile(app, cli, o);
  add_known(app, cli, o);
  add_device(app, cli, o);
}

}  // namespace recrypt::cli
