// The CLI's command groups. main() makes the app and the Cli they share; each add_*
// function adds one group's subcommands, whose callbacks set Cli::action to the work to run
// once the whole command line parsed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "protocol/json.hpp"

namespace recrypt::cli {

struct Cli {
  std::string socket;  // the agent's socket (--socket)
  bool json = false;   // print results as JSON
  bool quiet = false;  // print nothing on success
  std::function<int()> action;

  // One request to the agent on a connection of its own.
  Json agent_call(const std::string& method, const Json& params) const;
  // The result as JSON with --json, else `human` unless --quiet.
  void print(const Json& result, const std::string& human) const;
  // Public text (a signed profile) to `output`, or standard output for "" and "-"; a file
  // written is named on standard error with `what` it holds, unless quiet.
  void write_public(const std::string& output, const std::string& text,
                    const std::string& what) const;
};

void add_identity_commands(CLI::App& app, Cli& cli);  // personal, profile, known, device
void add_group_commands(CLI::App& app, Cli& cli);     // group ...
void add_escrow_commands(CLI::App& group, Cli& cli);  // group escrow, group recover
void add_admin_commands(CLI::App& group, Cli& cli);   // group admin ..., group handover
void add_policy_commands(CLI::App& group, Cli& cli);  // group policy
void add_review_commands(CLI::App& group, Cli& cli);  // group review
void add_audit_commands(CLI::App& group, Cli& cli);   // group audit
void add_document_commands(CLI::App& app, Cli& cli);  // encrypt, decrypt, fingerprint
void add_agent_commands(CLI::App& app, Cli& cli);     // agent ..., doctor
void add_mail_commands(CLI::App& app, Cli& cli);      // mail encrypt, mail decrypt

}  // namespace recrypt::cli
