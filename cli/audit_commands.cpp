// group audit: a group's audit log at its service (ADMIN), one line per record; with
// --document, the records of one document: who opened it, when, from which device, and who
// was refused (docs/SERVICE.md §5b, "Audit by document").

#include "cli/commands.hpp"
#include "cli/documents.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::cli {
namespace {

struct AuditOptions {
  std::string group, document;
};

std::string text_of(const Json& record, const char* key) {
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// TIME  TRANSACTION  MEMBER  DEVICE  STATUS DESCRIPTION
std::string describe_log(const Json& records) {
  std::string out;
  for (const Json& r : records) {
    std::string member = text_of(r, "member");
    out += service::rfc3339(r["time"].get<std::int64_t>()) + "  " + text_of(r, "transaction") +
           "  " + (member.empty() ? "-" : member) + "  " + text_of(r, "device") + "  " +
           std::to_string(r["status"].get<int>()) + " " + text_of(r, "description") + "\n";
  }
  return out;
}

// TIME  ACCOUNT  DEVICE  opened | refused: REASON
std::string describe_document(const Json& records) {
  std::string out;
  for (const Json& r : records) {
    std::string who = text_of(r, "account");
    if (who.empty()) who = text_of(r, "member");  // not in the group's chain
    std::string what = text_of(r, "outcome");
    if (what == "refused") what += ": " + text_of(r, "description");
    // The document id is the member's agent's word; the key agreement is the service's.
    if (!r["document_matches"].get<bool>())
      what += text_of(r, "document").empty()
                  ? "  (no document id stated)"
                  : "  (stated another document id, " + text_of(r, "document") + ")";
    out += text_of(r, "utc") + "  " + who + "  " + text_of(r, "device") + "  " + what + "\n";
  }
  return out;
}

}  // namespace

void add_audit_commands(CLI::App& group, Cli& cli) {
  auto o = std::make_shared<AuditOptions>();
  auto* audit = group.add_subcommand(
      "audit",
      "the service's audit log of a group (ADMIN); with --document, who opened that document, "
      "when, from which device, and who was refused");
  audit->add_option("group", o->group, "group")->required();
  audit->add_option("--document", o->document, "a .jcd file (\"-\": standard input)");
  audit->callback([&cli, o] {
    cli.action = [&cli, o] {
      if (o->document.empty()) {
        Json r = cli.agent_call("group.audit", Json{{"group", o->group}});
        cli.print(r, describe_log(r));
        return 0;
      }
      Json r = cli.agent_call("group.audit",
                              Json{{"group", o->group}, {"document", read_envelope(o->document)}});
      cli.print(r["records"], describe_document(r["records"]));
      return 0;
    };
  });
}

}  // namespace recrypt::cli
