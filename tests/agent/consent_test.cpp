// The confirmation prompt's text and the gate that shows it: hostile names cannot forge lines
// of the prompt or of the Assuan conversation, and a "yes" is remembered only for the
// program that got it.
#include "agent/consent.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "protocol/agent/rpc.hpp"

namespace recrypt::agent {
namespace {

using agent_rpc::Code;
using agent_rpc::RpcError;

TEST(PromptSafe, ControlCharactersCannotStartALine) {
  EXPECT_EQ(prompt_safe("report\nAllow: yes\r\x1b[2J\x7f.pdf"), "report?Allow: yes??[2J?.pdf");
}

TEST(PromptSafe, PercentIsKeptForAssuanToEscape) {
  EXPECT_EQ(prompt_safe("100%0A.jcd"), "100%0A.jcd");
  // On the wire a literal %0A stays text: Assuan escapes the % itself.
  EXPECT_EQ(assuan_escape(prompt_safe("100%0A\n.jcd")), "100%250A?.jcd");
  EXPECT_EQ(assuan_escape("line\r\nnext"), "line%0D%0Anext");
}

TEST(PromptSafe, LongTextIsCutAtACharacterBoundary) {
  std::string long_name(10000, 'a');
  EXPECT_EQ(prompt_safe(long_name, 50), std::string(50, 'a') + "...");
  // "é" is two bytes; a cut after 5 bytes of "aaaaéé" must not split the second "é".
  EXPECT_EQ(prompt_safe("aaaa\xc3\xa9\xc3\xa9", 5), "aaaa...");
  EXPECT_EQ(prompt_safe("short", 50), "short");
}

TEST(ConsentDescription, NamesProgramPidOperationAndDetails) {
  Requester who{4242, "/usr/bin/evil\nProgram: /usr/bin/recrypt"};
  ConsentRequest what{ConsentKind::decrypt,
                      "document.open",
                      "open a document",
                      {{"Document", "\"" + std::string(500, 'x') + "\n%\""}}};
  std::string text = consent_description(who, what);
  EXPECT_NE(text.find("Program: /usr/bin/evil?Program: /usr/bin/recrypt (pid 4242)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("(document.open)"), std::string::npos);
  // One line per detail, bounded; the hostile newline did not make a line of its own.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 5) << text;
  EXPECT_LT(text.size(), 600u);
}

TEST(ConfirmPolicy, ParsesTheList) {
  ConfirmPolicy p;
  parse_confirm_list("decrypt,admin", p);
  EXPECT_TRUE(p.decrypt && p.admin);
  parse_confirm_list("none", p);
  EXPECT_FALSE(p.decrypt || p.admin);
  parse_confirm_list("decrypt", p);
  EXPECT_TRUE(p.covers(ConsentKind::decrypt));
  EXPECT_FALSE(p.covers(ConsentKind::admin));
  EXPECT_THROW(parse_confirm_list("decrypt,sign", p), std::invalid_argument);
  EXPECT_THROW(parse_confirm_list("none,admin", p), std::invalid_argument);
  EXPECT_THROW(parse_confirm_list("", p), std::invalid_argument);
}

TEST(IdentifyRequester, ReadsTheExecutable) {
  Requester me = identify_requester(::getpid());
  EXPECT_EQ(me.pid, ::getpid());
  EXPECT_NE(me.program.find("agent_unit_tests"), std::string::npos) << me.program;
  EXPECT_EQ(identify_requester(0).program, "unknown");
}

ConsentRequest admin_request() {
  return ConsentRequest{ConsentKind::admin, "group.add", "add a member", {}};
}

TEST(ConsentGate, RefusalAndFailureAreDifferentErrors) {
  ConsentGate no(std::chrono::seconds(0), [](const ConfirmPrompt&) { return false; });
  try {
    no.require(Requester{1, "/bin/x"}, admin_request());
    FAIL() << "a refusal was accepted";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), Code::consent_refused);
    EXPECT_STREQ(e.what(), "the user refused the request at the agent's confirmation prompt");
  }
  ConsentGate broken(std::chrono::seconds(0), [](const ConfirmPrompt&) -> bool {
    throw std::runtime_error("pinentry exited unexpectedly");
  });
  try {
    broken.require(Requester{1, "/bin/x"}, admin_request());
    FAIL() << "a prompt that could not be shown was accepted";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), Code::auth_failed);
    EXPECT_NE(
        std::string(e.what()).find("cannot ask for confirmation: pinentry exited unexpectedly"),
        std::string::npos);
  }
}

TEST(ConsentGate, AYesIsRememberedOnlyForTheSameProgramAndKind) {
  int asked = 0;
  ConsentGate gate(std::chrono::seconds(60), [&asked](const ConfirmPrompt& prompt) {
    ++asked;
    EXPECT_EQ(prompt.ok, "Allow");
    return true;
  });
  gate.require(Requester{10, "/bin/a"}, admin_request());
  gate.require(Requester{10, "/bin/a"}, admin_request());
  EXPECT_EQ(asked, 1);
  gate.require(Requester{11, "/bin/a"}, admin_request());  // another process
  gate.require(Requester{10, "/bin/b"}, admin_request());  // the pid reused by another program
  gate.require(Requester{10, "/bin/a"},
               ConsentRequest{ConsentKind::decrypt, "document.open", "open", {}});
  EXPECT_EQ(asked, 4);

  int asked_each_time = 0;
  ConsentGate no_ttl(std::chrono::seconds(0),
                     [&asked_each_time](const ConfirmPrompt&) { return ++asked_each_time > 0; });
  no_ttl.require(Requester{10, "/bin/a"}, admin_request());
  no_ttl.require(Requester{10, "/bin/a"}, admin_request());
  EXPECT_EQ(asked_each_time, 2);
}

}  // namespace
}  // namespace recrypt::agent
