// agent status / lock, and doctor: the agent itself and this machine's setup.
#include "cli/commands.hpp"
#include "cli/doctor.hpp"

namespace recrypt::cli {

void add_agent_commands(CLI::App& app, Cli& cli) {
  auto* agent = app.add_subcommand("agent", "talk to the agent");
  agent->require_subcommand(1);
  agent->add_subcommand("status", "is the agent running, and what does it hold")->callback([&cli] {
    cli.action = [&cli] {
      Json r = cli.agent_call("agent.status", Json::object());
      std::string text =
          "recrypt-agent " + r["version"].get<std::string>() + " on " + cli.socket + "\n";
      for (const auto& b : r["backends"])
        text += "  backend " + b["name"].get<std::string>() +
                (b["present"].get<bool>() ? " present" : " absent") + "\n";
      if (r.contains("profile"))
        text += "  profile " + r["profile"]["account"].get<std::string>() + "\n";
      cli.print(r, text);
      return 0;
    };
  });
  agent
      ->add_subcommand("keys",
                       "the keys on each present backend, with the ids --encryption-key, "
                       "--signing-key and --profile-key take")
      ->callback([&cli] {
        cli.action = [&cli] {
          Json r = cli.agent_call("keys.list", Json::object());
          std::string text;
          for (const auto& k : r)
            text += k["backend"].get<std::string>() + "  " + k["purpose"].get<std::string>() +
                    (k.value("resident_share", false) ? " (member share)" : "") + "  " +
                    k["id"].get<std::string>() +
                    (k.contains("device") ? "  device " + k["device"].get<std::string>() : "") +
                    "\n";
          cli.print(r, text);
          return 0;
        };
      });
  agent->add_subcommand("lock", "forget cached PINs and unlocked keys")->callback([&cli] {
    cli.action = [&cli] {
      cli.print(cli.agent_call("agent.lock", Json::object()), "agent locked");
      return 0;
    };
  });

  auto* doctor = app.add_subcommand(
      "doctor", "check this machine's recrypt setup and say how to fix each problem");
  doctor->add_flag("--json", cli.json, "print results as JSON");
  doctor->callback([&cli] {
    cli.action = [&cli] {
      DoctorOptions options;
      options.socket = cli.socket;
      options.json = cli.json;
      return run_doctor(options);
    };
  });
}

}  // namespace recrypt::cli
