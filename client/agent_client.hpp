// A client's side of the agent socket, for the CLI and for every program on
// librecrypt_agent_client (client/recrypt-agent-client.h): connect (only to our own agent: a
// private folder and a peer of our uid, see connect()), send one JSON-RPC request, read its
// answer.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "base/unique_fd.hpp"
#include "protocol/json.hpp"

namespace recrypt::client {

class AgentUnreachable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class AgentClient {
 public:
  explicit AgentClient(std::filesystem::path socket_path);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // The method's result; throws agent_rpc::RpcError with the agent's error.
  Json call(const std::string& method, const Json& params = Json::object());
  // The same for a method whose answer carries key material (document.open): the answer
  // stays in wiping memory from the socket on.
  SecretJson call_secret(const std::string& method, const Json& params = Json::object());

 private:
  void connect();
  void disconnect();
  // Sends the request and returns the answer's line; `id` is the request's id.
  SecureString exchange(const std::string& method, const Json& params, std::uint64_t& id);
  std::filesystem::path socket_path_;
  UniqueFd fd_;
  std::uint64_t next_id_ = 1;
  SecureString pending_;  // bytes read past the last answer
};

}  // namespace recrypt::client
