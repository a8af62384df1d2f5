// encrypt and decrypt: the CLI streams files itself; only the header goes to the agent.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "client/agent_client.hpp"
#include "client/recipients.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwe.hpp"

namespace recrypt::cli {

struct EncryptOptions {
  std::vector<std::string> groups;           // -r: group names or fingerprints, asked of the agent
  std::vector<std::string> recipient_files;  // -R: files of signed group profiles (offline)
  // --all-of, each: group names, one recipient needing every group. Several are any-of
  // between them and -r: (A & B) | (C & D) is --all-of A,B --all-of C,D.
  std::vector<std::vector<std::string>> all_of;
  std::string input;   // "" or "-": stdin
  std::string output;  // "" : INPUT.jcd, or stdout for stdin
  std::optional<std::string> media_type;
  bool force = false;
  bool progress = true;
  unsigned threads = 0;  // --threads; 0 for jcd::default_threads()
};

struct DecryptOptions {
  std::string input;
  std::string output;
  bool force = false;
  bool progress = true;
  unsigned threads = 0;  // --threads; 0 for jcd::default_threads()
  // --wait: while the recryption waits for an administrator's review, ask again for up to
  // this many seconds.
  std::optional<unsigned> wait_seconds = std::nullopt;
};

// The recipients -r, -R and --all-of name, each one any-of choice; `names` gets what each is
// called, for the summary. `agent` may be null only when no recipient is named by group.
std::vector<jwe::RecipientSpec> resolve_recipients(const EncryptOptions& options,
                                                   client::AgentClient* agent, Json& names);

// A .jcd whose header was read and whose metadata the agent opened (document.open, shown to
// the user as `name` if the agent asks first): what reading its payload takes.
struct OpenedDocument {
  jcd::Header header;
  jcd::Metadata metadata;
  Json via;  // the services that recrypted, as document.open says
};
OpenedDocument open_jcd(BufferedInput& input, client::AgentClient& agent,
                        const std::optional<std::string>& name,
                        std::optional<unsigned> wait_seconds);

// Returns a summary for --json; throws on failure (the caller maps errors to exit codes).
// `agent` may be null only when no recipient is named (-r, --all-of).
Json encrypt_file(const EncryptOptions& options, client::AgentClient* agent);
Json decrypt_file(const DecryptOptions& options, client::AgentClient& agent);
// document.open, and what to do while its recryption waits for review: without `wait_seconds`
// fail (exit 10) naming the request; with it, ask again until approved, denied or timed out
// (review_commands.cpp).
SecretJson open_document(client::AgentClient& agent, const Json& request,
                         std::optional<unsigned> wait_seconds);

// The envelope line of a .jcd ("" or "-": stdin), checked as decrypt reads it: what the agent
// takes to name the document (document.open, group.audit).
std::string read_envelope(const std::string& input);

// A group as a recipient, from its signed profile (checks the self-signature): the client
// library's (client/recipients.hpp).
using client::recipient_from_profile;

}  // namespace recrypt::cli
