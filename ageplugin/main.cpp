// age-plugin-recrypt: age's plugin for recrypt groups (docs/AGE_PLUGIN.md). age starts it with
// --age-plugin=recipient-v1 to encrypt and --age-plugin=identity-v1 to decrypt; a user runs it
// to see its help or to print the identity line for `age -d -i FILE`.
#include <csignal>
#include <cstring>
#include <iostream>
#include <string_view>

#include "ageplugin/agent_link.hpp"
#include "ageplugin/plugin.hpp"
#include "base/error.hpp"
#include "base/io.hpp"

namespace {

constexpr std::string_view kHelp =
    "age-plugin-recrypt: age encrypts to recrypt groups and opens their files through\n"
    "recrypt-agent.\n"
    "\n"
    "Usage:\n"
    "  age -r \"$(recrypt group export --age GROUP)\" -o FILE.age FILE\n"
    "  age -d -j recrypt FILE.age            open it: your agent asks the group's service\n"
    "  age-plugin-recrypt --identity > recrypt-identity.txt\n"
    "  age -d -i recrypt-identity.txt FILE.age\n"
    "\n"
    "Options:\n"
    "  --identity               print the identity line (it holds no key: \"ask my agent\")\n"
    "  --age-plugin=STATE       what age runs: recipient-v1 or identity-v1\n"
    "  -h, --help               this text\n"
    "\n"
    "The agent is found at $RECRYPT_AGENT_SOCK, else $XDG_RUNTIME_DIR/recrypt/agent.sock.\n";

class StdoutSink : public recrypt::age::Sink {
 public:
  void write(std::string_view text) override {
    recrypt::write_all(1, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
};

}  // namespace

int main(int argc, char** argv) {
  using namespace recrypt;
  // age may go away mid-phase: writing to it is then an error to report, not a signal.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc != 2) {
    std::cerr << kHelp;
    return 2;
  }
  std::string_view arg = argv[1];
  try {
    if (arg == "-h" || arg == "--help") {
      std::cout << kHelp;
      return 0;
    }
    if (arg == "--identity") {
      std::cout << "# recrypt: decrypt through this user's recrypt-agent\n"
                << age::identity() << "\n";
      return 0;
    }
    age::FdSource in(0);
    StdoutSink out;
    if (arg == "--age-plugin=recipient-v1") return age::run_recipient_v1(in, out);
    if (arg == "--age-plugin=identity-v1") {
      auto unwrapper = age::agent_unwrapper();
      return age::run_identity_v1(in, out, *unwrapper);
    }
    std::cerr << "age-plugin-recrypt: unknown argument " << arg << " (state machines: "
              << "recipient-v1, identity-v1; see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "age-plugin-recrypt: " << e.what() << "\n";
    return 1;
  }
}
