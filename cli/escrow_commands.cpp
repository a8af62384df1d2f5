// group escrow, group recover: a group's administration to a file and back (agent/escrow.hpp).
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "base/atomic_file.hpp"
#include "cli/commands.hpp"
#include "protocol/agent/rpc.hpp"

namespace recrypt::cli {
namespace {

constexpr std::size_t kMaxEscrowFile = 1 << 20;
constexpr std::size_t kMaxTyped = 1024;

struct EscrowOptions {
  std::string group, output, input, recovery_key, backend, passphrase_file;
};

// The first line of a file, without its line end: a passphrase or recovery code.
SecureString first_line_of(const std::string& path) {
  Bytes data = read_file(path, kMaxTyped);
  SecureString line;
  for (std::uint8_t c : data) {
    if (c == '\n' || c == '\r') break;
    line.push_back(static_cast<char>(c));
  }
  std::fill(data.begin(), data.end(), 0);
  return line;
}

// Asks on the terminal with echo off.
SecureString ask_on_terminal(const std::string& prompt) {
  if (!::isatty(0) || !::isatty(2))
    throw agent_rpc::RpcError(agent_rpc::Code::auth_failed,
                              "the recovery code is asked on a terminal, and there is none: give "
                              "it with --passphrase-file");
  std::cerr << prompt << std::flush;
  termios before{};
  ::tcgetattr(0, &before);
  termios quiet = before;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  ::tcsetattr(0, TCSAFLUSH, &quiet);
  SecureString line;
  char c = 0;
  while (line.size() < kMaxTyped && ::read(0, &c, 1) == 1 && c != '\n') line.push_back(c);
  ::tcsetattr(0, TCSAFLUSH, &before);
  std::cerr << "\n";
  return line;
}

void add_escrow(CLI::App& group, Cli& cli, const std::shared_ptr<EscrowOptions>& o) {
  auto* escrow = group.add_subcommand(
      "escrow",
      "write the group's keys to a file that a recovery code (printed once), a passphrase or a "
      "key on a second device opens (`recrypt group recover`)");
  escrow->add_option("group", o->group, "group")->required();
  escrow->add_option("-o,--output", o->output, "escrow file to write")->required();
  escrow->add_option("--to-key", o->recovery_key,
                     "escrow to this key (key id, PKCS#11 URI or PIV slot) instead of a code");
  escrow->add_option("-b,--backend", o->backend, "the --to-key key's backend");
  escrow->add_option("--passphrase-file", o->passphrase_file,
                     "escrow to the passphrase on this file's first line instead of a code");
  escrow->callback([&cli, o] {
    cli.action = [&cli, o] {
      Json params{{"group", o->group}};
      if (!o->recovery_key.empty()) params["recovery_key"] = o->recovery_key;
      if (!o->backend.empty()) params["backend"] = o->backend;
      if (!o->passphrase_file.empty()) {
        SecureString pass = first_line_of(o->passphrase_file);
        params["passphrase"] = std::string(pass.data(), pass.size());
      }
      Json r = cli.agent_call("group.escrow", params);
      json::wipe_strings(params);
      std::string text = r["escrow"].get<std::string>();
      write_file_atomic(o->output, as_bytes(text), 0600);
      r.erase("escrow");
      if (cli.json) {
        cli.print(r, "");
      } else if (r.contains("recovery_code")) {
        // The one time the code is shown: on the terminal even with --quiet.
        std::cerr << "wrote " << o->output << ": group " << o->group << "'s keys for the recovery "
                  << "code\n\n    " << r["recovery_code"].get<std::string>() << "\n\n"
                  << "Write it down and keep it apart from the file: it is shown only now, and "
                     "together they administer the group.\n";
      } else {
        cli.print(r, "wrote " + o->output + ": group " + o->group + "'s keys for the " +
                         r["recovery"].get<std::string>() + " " +
                         r.value("recovery_key", std::string()));
      }
      json::wipe_strings(r);
      return 0;
    };
  });
}

void add_recover(CLI::App& group, Cli& cli, const std::shared_ptr<EscrowOptions>& o) {
  auto* recover = group.add_subcommand(
      "recover", "administer a group again from its escrow file (`recrypt group escrow`)");
  recover->add_option("file", o->input, "escrow file")->required();
  recover->add_option("--passphrase-file", o->passphrase_file,
                      "the recovery code or passphrase on this file's first line (default: asked "
                      "on the terminal)");
  recover->add_option("-b,--backend", o->backend,
                      "where this agent seals the group's keys (soft, tpm, pkcs11)");
  recover->callback([&cli, o] {
    cli.action = [&cli, o] {
      Bytes data = read_file(o->input, kMaxEscrowFile);
      std::string text(data.begin(), data.end());
      Json params{{"escrow", text}};
      if (!o->backend.empty()) params["backend"] = o->backend;
      // A typed recovery needs what was typed; a device recovery needs nothing from here. The
      // agent checks the file; this only asks whether to prompt.
      Json file = json::parse(text, kMaxEscrowFile, "escrow file");
      bool typed = true;
      if (auto rec = file.find("recovery");
          file.is_object() && rec != file.end() && rec->is_object() && rec->contains("method"))
        typed = (*rec)["method"] != "key";
      if (!o->passphrase_file.empty() || typed) {
        SecureString pass = o->passphrase_file.empty()
                                ? ask_on_terminal("Recovery code or passphrase: ")
                                : first_line_of(o->passphrase_file);
        params["passphrase"] = std::string(pass.data(), pass.size());
      }
      Json r = cli.agent_call("group.recover", params);
      json::wipe_strings(params);
      cli.print(r, "recovered group " + r["group"].get<std::string>() + " (" +
                       r["id"].get<std::string>() + "): this agent administers it, as SUPER");
      return 0;
    };
  });
}

}  // namespace

void add_escrow_commands(CLI::App& group, Cli& cli) {
  auto o = std::make_shared<EscrowOptions>();
  add_escrow(group, cli, o);
  add_recover(group, cli, o);
}

}  // namespace recrypt::cli
