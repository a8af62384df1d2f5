// mail encrypt, mail decrypt: filters over RFC 5322 messages (docs/MAIL.md). The message
// format is mail/encrypted_message.hpp's; the .jcd inside is made and opened by the same code
// as `encrypt` and `decrypt` (cli/documents.hpp). Each reads the whole message first and
// writes nothing until the result is complete: a failure leaves no partial message.
#include <openssl/rand.h>

#include <fcntl.h>
#include <unistd.h>

#include "base/error.hpp"
#include "base/io.hpp"
#include "base/unique_fd.hpp"
#include "client/agent_client.hpp"
#include "cli/commands.hpp"
#include "cli/documents.hpp"
#include "mail/encrypted_message.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::cli {
namespace {

struct MailOptions {
  std::string input;  // "" or "-": stdin
  EncryptOptions enc;
  bool protect_subject = false;
};

std::string read_message(const std::string& path) {
  UniqueFd file;
  int fd = 0;
  if (!path.empty() && path != "-") {
    file.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) fail(Errc::io, "cannot open " + path + ": " + std::strerror(errno));
    fd = file.get();
  }
  std::string message;
  Bytes buf(1 << 16);
  for (;;) {
    std::size_t n = read_some(fd, buf);
    if (n == 0) return message;
    if (message.size() + n > mail::kMaxMessageSize)
      fail(Errc::too_large,
           "the message is larger than " + std::to_string(mail::kMaxMessageSize >> 20) + " MiB");
    message.append(reinterpret_cast<const char*>(buf.data()), n);
  }
}

void write_message(std::string_view message) { write_all(1, as_bytes(message)); }

// "=_" cannot occur in base64 text, so no line of the parts can look like a delimiter.
std::string new_boundary() {
  Bytes random(12);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1)
    fail(Errc::internal, "RAND_bytes failed");
  return "=_recrypt_" + to_hex(random);
}

int encrypt_message(const MailOptions& o, const Cli& cli) {
  std::string message = read_message(o.input);
  mail::SealPlan plan = mail::seal_plan(message, o.protect_subject);
  std::unique_ptr<client::AgentClient> agent;
  if (!o.enc.groups.empty() || !o.enc.all_of.empty())
    agent = std::make_unique<client::AgentClient>(cli.socket);
  Json names;
  std::vector<jwe::RecipientSpec> recipients = resolve_recipients(o.enc, agent.get(), names);
  jcd::FileInfo info;
  info.created = service::rfc3339_now();
  MemorySink jcd_bytes;
  jcd::Encryptor encryptor(jcd_bytes, recipients, info);
  encryptor.update(as_bytes(plan.inner));
  encryptor.finish();
  write_message(mail::sealed_message(plan, jcd_bytes.data(), new_boundary()));
  return 0;
}

int decrypt_message(const MailOptions& o, const Cli& cli) {
  std::string message = read_message(o.input);
  std::optional<mail::Encrypted> encrypted = mail::open_encrypted(message);
  if (!encrypted) {
    write_message(message);  // not encrypted: as it came, so this works as a display filter
    return 0;
  }
  client::AgentClient agent(cli.socket);
  MemorySource source(encrypted->jcd);
  BufferedInput input(source);
  OpenedDocument document = open_jcd(input, agent, std::nullopt, std::nullopt);
  jcd::Decryptor decryptor(input, document.metadata, document.header.digest);
  std::string inner;
  while (auto segment = decryptor.next())
    inner.append(reinterpret_cast<const char*>(segment->data()), segment->size());
  write_message(mail::restore_message(*encrypted, inner));
  return 0;
}

}  // namespace

void add_mail_commands(CLI::App& app, Cli& cli) {
  auto o = std::make_shared<MailOptions>();
  auto* mail = app.add_subcommand(
      "mail", "encrypt and decrypt mail: filters from a message (or stdin) to stdout");
  mail->require_subcommand(1);

  auto* encrypt = mail->add_subcommand(
      "encrypt", "the body and its MIME fields into an RFC 1847 multipart/encrypted message");
  encrypt->add_option("message", o->input, "RFC 5322 message (default: stdin)");
  encrypt
      ->add_option("-r,--recipient", o->enc.groups,
                   "group (mailing list) name or fingerprint, looked up by the agent")
      ->allow_extra_args(false);
  encrypt
      ->add_option("-R,--recipient-file", o->enc.recipient_files,
                   "file of a signed group profile from `group export` (offline)")
      ->allow_extra_args(false);
  encrypt->add_flag("--protect-subject", o->protect_subject,
                    "move the Subject inside too; the one outside reads \"...\"");
  encrypt->callback([&cli, o] { cli.action = [&cli, o] { return encrypt_message(*o, cli); }; });

  auto* decrypt = mail->add_subcommand(
      "decrypt", "the original message back; a message not encrypted passes through unchanged");
  decrypt->add_option("message", o->input, "RFC 5322 message (default: stdin)");
  decrypt->callback([&cli, o] { cli.action = [&cli, o] { return decrypt_message(*o, cli); }; });
}

}  // namespace recrypt::cli
