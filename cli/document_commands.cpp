// encrypt, decrypt, fingerprint: files. Streaming is cli/documents.cpp's; the agent opens
// the envelope.
#include <sstream>

#include "base/atomic_file.hpp"
#include "client/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/documents.hpp"
#include "protocol/service/file_identity.hpp"

namespace recrypt::cli {
namespace {

struct Options {
  EncryptOptions enc;
  DecryptOptions dec;
  std::vector<std::string> all_of;
  bool no_progress = false;
  bool wait = false;
  unsigned wait_for = 600;
  std::string fp_file, fp_type = "application/octet-stream";
};

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

// --threads N of encrypt and decrypt; unset, RECRYPT_THREADS or one per hardware thread.
void add_threads_option(CLI::App& command, unsigned& threads, const std::string& verb) {
  command
      .add_option(
          "--threads", threads,
          "threads to " + verb + " a large file on (default: $RECRYPT_THREADS, else one per core)")
      ->check(CLI::Range(1u, jcd::kMaxThreads));
}

void add_encrypt(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* encrypt = app.add_subcommand("encrypt", "encrypt a file to groups (alias /encrypt)");
  encrypt->add_option("input", o->enc.input, "file to encrypt (default: stdin)");
  encrypt
      ->add_option("-r,--recipient", o->enc.groups,
                   "group name or fingerprint, looked up by the agent (never a file: use -R); any "
                   "of them may read")
      ->allow_extra_args(false);
  encrypt
      ->add_option("-R,--recipient-file", o->enc.recipient_files,
                   "file of a signed group profile from `group export` (offline)")
      ->allow_extra_args(false);
  encrypt
      ->add_option("--all-of", o->all_of,
                   "G1,G2,...: group names; only members of every group may read. Repeat it for "
                   "any of several such sets: --all-of A,B --all-of C,D is (A & B) | (C & D)")
      ->allow_extra_args(false);
  encrypt->add_option("-o,--output", o->enc.output, "output file (default: INPUT.jcd, or stdout)");
  encrypt->add_option("--type", o->enc.media_type, "media type to record, e.g. text/plain");
  encrypt->add_flag("-f,--force", o->enc.force, "replace an existing output file");
  encrypt->add_flag("--no-progress", o->no_progress, "no progress line");
  add_threads_option(*encrypt, o->enc.threads, "encrypt");
  encrypt->callback([&cli, o] {
    cli.action = [&cli, o] {
      o->enc.all_of.clear();
      for (const auto& set : o->all_of) o->enc.all_of.push_back(comma_list(set));
      o->enc.progress = !o->no_progress;
      std::unique_ptr<client::AgentClient> client;
      if (!o->enc.groups.empty() || !o->enc.all_of.empty())
        client = std::make_unique<client::AgentClient>(cli.socket);
      Json r = encrypt_file(o->enc, client.get());
      cli.print(r, cli.quiet || r["output"] == "-"
                       ? ""
                       : "encrypted to " + r["output"].get<std::string>());
      return 0;
    };
  });
}

void add_decrypt(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* decrypt = app.add_subcommand("decrypt", "decrypt a .jcd file (alias /decrypt)");
  decrypt->add_option("input", o->dec.input, "file to decrypt (default: stdin)");
  decrypt->add_option("-o,--output", o->dec.output,
                      "output file (default: INPUT without .jcd, or stdout)");
  decrypt->add_flag("-f,--force", o->dec.force, "replace an existing output file");
  decrypt->add_flag("--no-progress", o->no_progress, "no progress line");
  add_threads_option(*decrypt, o->dec.threads, "decrypt");
  // A flag, and its time apart: an optional value would take `decrypt --wait FILE`'s file.
  decrypt->add_flag("--wait", o->wait,
                    "while the recryption waits for an administrator's review, ask again every "
                    "few seconds");
  auto* wait_for = decrypt->add_option("--wait-for", o->wait_for,
                                       "with --wait: give up after SECONDS (default 600)");
  decrypt->callback([&cli, o, wait_for] {
    if (o->wait || wait_for->count() > 0) o->dec.wait_seconds = o->wait_for;
    cli.action = [&cli, o] {
      o->dec.progress = !o->no_progress;
      client::AgentClient client(cli.socket);
      Json r = decrypt_file(o->dec, client);
      std::string via;
      for (const auto& v : r.value("via", Json::array()))
        via += (via.empty() ? "" : ", ") + v.get<std::string>();
      if (r["output"] != "-")
        cli.print(r, "decrypted to " + r["output"].get<std::string>() + " (via " + via + ")");
      return 0;
    };
  });
}

// What the file is decides what is fingerprinted (protocol/service/file_identity.hpp): a
// public key by its key, a signed profile by its id, anything else by its bytes.
void add_fingerprint(CLI::App& app, Cli& cli, const std::shared_ptr<Options>& o) {
  auto* fp = app.add_subcommand(
      "fingerprint",
      "UDF fingerprint of a public key (PEM or DER), of a signed profile (its id), or of a file");
  fp->add_option("file", o->fp_file, "file")->required();
  fp->add_option("--type", o->fp_type, "content type of the data (files that are not keys)")
      ->capture_default_str();
  fp->callback([&cli, o] {
    cli.action = [&cli, o] {
      Bytes data = read_file(o->fp_file, std::size_t{1} << 30);
      service::FileIdentity id = service::identify_file(data, o->fp_type);
      Json r{{"kind", service::to_string(id.kind)}, {"fingerprint", id.fingerprint}};
      std::string what;
      switch (id.kind) {
        case service::FileKind::public_key:
          r["format"] = id.format;
          r["curve"] = id.curve;
          what = "public key (" + id.format + ", " + id.curve + ")";
          break;
        case service::FileKind::profile: {
          std::string type =
              *id.profile_type == service::ProfileType::personal ? "personal" : "group";
          r["type"] = type;
          r["name"] = id.name;
          what = type + " profile of " + id.name + " (signature verified)";
          break;
        }
        case service::FileKind::data:
          r["type"] = id.format;
          what = "data (" + id.format + ")";
          break;
      }
      cli.print(r, id.fingerprint + "  " + what);
      return 0;
    };
  });
}

}  // namespace

void add_document_commands(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<Options>();
  add_encrypt(app, cli, o);
  add_decrypt(app, cli, o);
  add_fingerprint(app, cli, o);
}

}  // namespace recrypt::cli
