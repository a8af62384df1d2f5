// The plugin's one conversation with the user's recrypt-agent: age.unwrap, over the agent's
// socket (docs/AGENT_PROTOCOL.md). Every use of the agent client is in this file.
#include "ageplugin/agent_link.hpp"

#include "client/agent_client.hpp"
#include "protocol/agent/paths.hpp"
#include "protocol/agent/rpc.hpp"

namespace recrypt::age {
namespace {

class AgentUnwrapper : public Unwrapper {
 public:
  SecureBytes unwrap(const RecryptStanza& stanza) override {
    try {
      if (!client_) client_ = std::make_unique<client::AgentClient>(agent::default_socket_path());
      std::vector<std::string> args = stanza.args();
      Json params{{"kid", args[1]},
                  {"epk", args[2]},
                  {"locator", args[3]},
                  {"wrapped", base64_encode(stanza.wrapped)}};
      SecretJson answer = client_->call_secret("age.unwrap", params);
      auto key = answer.find("file_key");
      if (key == answer.end() || !key->is_string())
        throw Refused("recrypt-agent answered age.unwrap without a file key");
      return base64_decode(key->get_ref<const SecureString&>());
    } catch (const client::AgentUnreachable& e) {
      throw Unreachable(e.what());
    } catch (const agent_rpc::RpcError& e) {
      throw Refused(std::string("recrypt-agent: ") + e.what());
    } catch (const Error& e) {
      throw Refused(std::string("recrypt-agent's answer: ") + e.what());
    }
  }

 private:
  std::unique_ptr<client::AgentClient> client_;
};

}  // namespace

std::unique_ptr<Unwrapper> agent_unwrapper() { return std::make_unique<AgentUnwrapper>(); }

}  // namespace recrypt::age
