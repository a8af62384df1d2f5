// age-plugin-recrypt's identity-v1 state machine fed whatever an age client could send: the
// stanza reader's rules and bounds, the recrypt stanza parser, and the phases. Stanzas that
// parse are "opened" by a stand-in that refuses, so no agent is involved.
#include <cstdlib>

#include "ageplugin/plugin.hpp"
#include "base/error.hpp"

namespace {

class NullSink : public recrypt::age::Sink {
 public:
  void write(std::string_view text) override { written += text.size(); }
  std::size_t written = 0;
};

class Refusing : public recrypt::age::Unwrapper {
 public:
  recrypt::SecureBytes unwrap(const recrypt::age::RecryptStanza& stanza) override {
    // What parsed must write back as it came: a stanza's arguments are canonical.
    std::vector<std::string> args = stanza.args();
    args.erase(args.begin());
    if (recrypt::age::parse_stanza(args, stanza.wrapped).args() != stanza.args()) std::abort();
    throw recrypt::age::Refused("refused");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    age::MemorySource in(text);
    try {
      while (auto s = age::read_stanza(in)) {
        if (s->args.empty() || s->args.size() > age::kMaxArgs) std::abort();
        // What was read writes back to text that reads the same.
        std::string again = age::write_stanza(s->args, s->body);
        age::MemorySource back(again);
        auto r = age::read_stanza(back);
        if (!r || r->args != s->args || r->body != s->body) std::abort();
      }
    } catch (const Error&) {
    }
  }
  age::MemorySource in(text);
  NullSink out;
  Refusing unwrapper;
  int rc = age::run_identity_v1(in, out, unwrapper);
  if (rc != 0 && rc != 1) std::abort();
  return 0;
}
