#include "ageplugin/plugin.hpp"

#include <openssl/crypto.h>

#include <iostream>
#include <map>
#include <optional>

#include "base/error.hpp"

namespace recrypt::age {
namespace {

ByteView text_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Thrown when the client breaks the protocol: the run ends with exit status 1.
struct ProtocolBroken {
  std::string reason;
};

// The plugin's side of one connection: commands out, the client's answers in.
class Channel {
 public:
  Channel(ByteSource& in, Sink& out) : in_(in), out_(out) {}

  std::optional<Stanza> receive() {
    try {
      return read_stanza(in_);
    } catch (const Error& e) {
      throw ProtocolBroken{std::string("the age client sent ") + e.what()};
    }
  }

  // Sends a command of the plugin-controlled phase and reads its answer: "ok", "fail", or
  // "unsupported" from a client that does not know the command (taken as a "fail").
  bool command(const std::vector<std::string>& args, ByteView body) {
    std::string text = write_stanza(args, body);
    out_.write(text);
    OPENSSL_cleanse(text.data(), text.size());
    std::optional<Stanza> answer = receive();
    if (!answer) throw ProtocolBroken{"the age client closed its side before answering"};
    return answer->args[0] == "ok";
  }
  bool command(const std::vector<std::string>& args, std::string_view message) {
    return command(args, text_bytes(message));
  }

  void done() { out_.write(write_stanza({"done"}, {})); }

 private:
  ByteSource& in_;
  Sink& out_;
};

// A decimal index as the protocol writes them: digits only, no leading zero, bounded.
std::optional<std::size_t> index_of(const std::string& s, std::size_t limit) {
  if (s.empty() || s.size() > 6 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  std::size_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  if (n >= limit) return std::nullopt;
  return n;
}

int broken(const ProtocolBroken& b) {
  std::cerr << "age-plugin-recrypt: " << b.reason << "\n";
  return 1;
}

}  // namespace

int run_recipient_v1(ByteSource& in, Sink& out) {
  Channel channel(in, out);
  try {
    std::vector<std::optional<GroupRecipient>> recipients;
    std::vector<std::pair<std::string, std::string>> errors;  // (kind index, message)
    std::vector<SecureBytes> file_keys;
    std::size_t identities = 0;
    for (;;) {
      std::optional<Stanza> s = channel.receive();
      if (!s) throw ProtocolBroken{"the age client's input ended before \"done\""};
      const std::string& cmd = s->args[0];
      if (cmd == "done") break;
      if (cmd == "add-recipient") {
        if (s->args.size() != 2) throw ProtocolBroken{"add-recipient takes one argument"};
        if (recipients.size() == kMaxRecipients)
          throw ProtocolBroken{"more than " + std::to_string(kMaxRecipients) + " recipients"};
        try {
          recipients.push_back(parse_recipient(s->args[1]));
        } catch (const Error& e) {
          recipients.push_back(std::nullopt);
          errors.emplace_back("recipient " + std::to_string(recipients.size() - 1), e.what());
        }
      } else if (cmd == "add-identity") {
        errors.emplace_back("identity " + std::to_string(identities++),
                            "a recrypt identity asks the agent and cannot be encrypted to: "
                            "give the group's age1recrypt1 recipient (recrypt group export "
                            "--age GROUP)");
      } else if (cmd == "wrap-file-key") {
        if (s->body.size() != kFileKeySize)
          throw ProtocolBroken{"a file key of " + std::to_string(s->body.size()) + " bytes, not " +
                               std::to_string(kFileKeySize)};
        if (file_keys.size() == kMaxFiles)
          throw ProtocolBroken{"more than " + std::to_string(kMaxFiles) + " file keys"};
        file_keys.push_back(std::move(s->body));
      }
      // Anything else (grease, commands of later versions) is ignored, as phase 1 wants.
    }
    if (!errors.empty()) {
      for (const auto& [where, message] : errors) {
        std::vector<std::string> args{"error"};
        std::size_t sp = where.find(' ');
        args.push_back(where.substr(0, sp));
        args.push_back(where.substr(sp + 1));
        channel.command(args, message);
      }
      channel.done();
      return 0;
    }
    // Every stanza is made before any is sent: an error sends none (age-plugin.md).
    std::vector<std::pair<std::size_t, RecryptStanza>> stanzas;
    for (std::size_t f = 0; f < file_keys.size(); ++f)
      for (const auto& r : recipients) stanzas.emplace_back(f, wrap_file_key(*r, file_keys[f]));
    for (const auto& [f, stanza] : stanzas) {
      std::vector<std::string> args{"recipient-stanza", std::to_string(f)};
      for (auto& a : stanza.args()) args.push_back(std::move(a));
      if (!channel.command(args, stanza.wrapped))
        throw ProtocolBroken{"the age client did not accept a recipient stanza"};
    }
    channel.done();
    return 0;
  } catch (const ProtocolBroken& b) {
    return broken(b);
  }
}

int run_identity_v1(ByteSource& in, Sink& out, Unwrapper& unwrapper) {
  Channel channel(in, out);
  try {
    struct File {
      std::vector<std::pair<std::size_t, RecryptStanza>> stanzas;  // (stanza index, stanza)
      std::size_t count = 0;                                       // stanzas of any type
      std::optional<std::pair<std::size_t, std::string>> malformed;
    };
    std::map<std::size_t, File> files;
    std::vector<std::pair<std::size_t, std::string>> bad_identities;
    std::size_t identities = 0, stanzas = 0;
    std::optional<std::size_t> last_file;
    for (;;) {
      std::optional<Stanza> s = channel.receive();
      if (!s) throw ProtocolBroken{"the age client's input ended before \"done\""};
      const std::string& cmd = s->args[0];
      if (cmd == "done") break;
      if (cmd == "add-identity") {
        if (s->args.size() != 2) throw ProtocolBroken{"add-identity takes one argument"};
        if (identities == kMaxRecipients)
          throw ProtocolBroken{"more than " + std::to_string(kMaxRecipients) + " identities"};
        try {
          parse_identity(s->args[1]);
        } catch (const Error& e) {
          bad_identities.emplace_back(identities, e.what());
        }
        ++identities;
      } else if (cmd == "recipient-stanza") {
        if (s->args.size() < 3)
          throw ProtocolBroken{"recipient-stanza needs a file index and a stanza type"};
        std::optional<std::size_t> f = index_of(s->args[1], kMaxFiles);
        if (!f) throw ProtocolBroken{"a file index that is not a number below 1024"};
        if (last_file && *f < *last_file)
          throw ProtocolBroken{"file indices that go down (" + s->args[1] + " after " +
                               std::to_string(*last_file) + ")"};
        if (++stanzas > kMaxStanzas)
          throw ProtocolBroken{"more than " + std::to_string(kMaxStanzas) + " stanzas"};
        last_file = f;
        File& file = files[*f];
        std::size_t index = file.count++;
        if (s->args[2] != kStanzaTag) continue;  // other recipients' stanzas: not ours
        try {
          std::vector<std::string> args(s->args.begin() + 3, s->args.end());
          file.stanzas.emplace_back(index, parse_stanza(args, s->body));
        } catch (const Error& e) {
          if (!file.malformed) file.malformed.emplace(index, e.what());
        }
      }
      // Anything else (grease, commands of later versions) is ignored, as phase 1 wants.
    }

    // An identity that is not ours stops everything (age-plugin.md): no file is opened.
    if (!bad_identities.empty()) {
      for (const auto& [i, message] : bad_identities)
        channel.command({"error", "identity", std::to_string(i)}, message);
      channel.done();
      return 0;
    }
    for (auto& [f, file] : files) {
      if (file.malformed) {
        channel.command(
            {"error", "stanza", std::to_string(f), std::to_string(file.malformed->first)},
            file.malformed->second);
        continue;
      }
      // A file none of whose stanzas is ours is not this plugin's: nothing is said of it.
      std::optional<std::pair<std::size_t, std::string>> refusal;
      bool opened = false;
      for (const auto& [index, stanza] : file.stanzas) {
        try {
          SecureBytes key = unwrapper.unwrap(stanza);
          channel.command({"file-key", std::to_string(f)}, key);
          opened = true;
          break;
        } catch (const Refused& e) {
          if (!refusal) refusal.emplace(index, e.what());
        } catch (const Unreachable& e) {
          channel.command({"error", "internal"}, e.what());
          channel.done();
          return 0;
        }
      }
      if (!opened && refusal)
        channel.command({"error", "stanza", std::to_string(f), std::to_string(refusal->first)},
                        refusal->second);
    }
    channel.done();
    return 0;
  } catch (const ProtocolBroken& b) {
    return broken(b);
  }
}

}  // namespace recrypt::age
