// recrypt: the command-line client. Key operations happen in recrypt-agent; this program
// streams files and prints results. See recrypt(1). The commands are in *_commands.cpp;
// here: the global options, the slash aliases, and how errors become exit codes.
#include <CLI/CLI.hpp>

#include <iostream>

#include "base/atomic_file.hpp"
#include "client/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "protocol/agent/paths.hpp"
#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"

namespace recrypt::cli {

Json Cli::agent_call(const std::string& method, const Json& params) const {
  client::AgentClient client(socket);
  return client.call(method, params);
}

void Cli::print(const Json& result, const std::string& human) const {
  if (json) {
    std::cout << result.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else if (!quiet && !human.empty()) {
    std::cout << human << "\n";
  }
}

void Cli::write_public(const std::string& output, const std::string& text,
                       const std::string& what) const {
  if (output.empty() || output == "-") {
    std::cout << text;
    return;
  }
  write_file_atomic(output, as_bytes(text), 0644);
  if (!quiet) std::cerr << "wrote " << output << " (" << what << ")\n";
}

}  // namespace recrypt::cli

namespace {
using namespace recrypt;
using namespace recrypt::cli;
using agent_rpc::Code;

int exit_for(Code code) {
  switch (code) {
    case Code::auth_failed:
      return exit_code::auth;
    case Code::device_error:
      return exit_code::device;
    case Code::service_error:
      return exit_code::service;
    case Code::consent_refused:
      return exit_code::declined;
    case Code::review_pending:
      return exit_code::review;
    case Code::decrypt_failed:
    case Code::refused:
      return exit_code::refused;
    case Code::invalid_params:
    case Code::not_found:
    case Code::conflict:
      return exit_code::failure;
    default:
      return exit_code::failure;
  }
}

// Where the command is: the first argument that is not a global option or its value.
std::size_t command_position(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--socket") {
      ++i;  // its value
      continue;
    }
    if (a.starts_with("--socket=") || a == "--json" || a == "-q" || a == "--quiet") continue;
    return i;
  }
  return args.size();
}

// The drafts' slash verbs, kept as aliases, wherever the command is.
std::vector<std::string> translate_aliases(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t at = command_position(args);
  if (at < args.size()) {
    std::string& verb = args[at];
    if (verb == "/personal")
      verb = "personal";
    else if (verb == "/encrypt")
      verb = "encrypt";
    else if (verb == "/decrypt")
      verb = "decrypt";
    else if (verb == "/newgroup") {
      verb = "create";
      args.insert(args.begin() + static_cast<std::ptrdiff_t>(at), "group");
    }
  }
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  // An output file written where the file system has no unnamed files is a named temporary
  // one until complete: Ctrl-C must not leave it behind (base/atomic_file.hpp).
  remove_temporaries_on_signals();
  CLI::App app{"recrypt: end-to-end encryption for groups whose membership changes (Mesh/Recrypt)",
               "recrypt"};
  app.require_subcommand(1);
  Cli cli;
  cli.socket = agent::default_socket_path().string();
  app.add_option("--socket", cli.socket, "agent socket")->capture_default_str();
  app.add_flag("--json", cli.json, "print results as JSON");
  app.add_flag("-q,--quiet", cli.quiet, "print nothing on success");
  app.set_version_flag("--version", std::string("recrypt ") + RECRYPT_VERSION);
  app.footer(
      "Exit codes: 0 ok, 1 failure, 2 usage, 3 no agent, 4 refused/not decryptable, 5 bad input,\n"
      "6 wrong PIN/passphrase (or no prompt could be shown), 7 service failure, 8 device failure,\n"
      "9 refused at the agent's confirmation prompt, 10 waits for an administrator's review.");
  add_identity_commands(app, cli);
  add_group_commands(app, cli);
  add_document_commands(app, cli);
  add_agent_commands(app, cli);
  add_mail_commands(app, cli);

  try {
    app.parse(translate_aliases(argc, argv));
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : exit_code::usage;
  }
  try {
    return cli.action ? cli.action() : exit_code::usage;
  } catch (const client::AgentUnreachable& e) {
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
