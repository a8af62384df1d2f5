#include "client/agent_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "base/io.hpp"
#include "protocol/agent/paths.hpp"
#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"

namespace recrypt::client {

AgentClient::AgentClient(std::filesystem::path socket_path)
    : socket_path_(std::move(socket_path)) {}

AgentClient::~AgentClient() = default;

// What answers on the socket gets document keys to open and requests to sign, so it has to
// be our own agent: the folder must be one only we control (checked before connecting, so
// nothing is sent into a folder another user could have placed a socket in), and the
// process listening must run as our uid (checked after).
void AgentClient::connect() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = socket_path_.string();
  if (path.size() >= sizeof addr.sun_path)
    throw AgentUnreachable("agent socket path is too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (auto problem = agent::socket_folder_problem(agent::socket_folder(socket_path_)))
    throw AgentUnreachable("refusing the agent socket " + path + ": " + problem->message());
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw AgentUnreachable(std::string("cannot create a socket: ") + std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int e = errno;
    throw AgentUnreachable("cannot reach recrypt-agent at " + path + ": " + std::strerror(e) +
                           " (is it running? start it with `recrypt-agent` or `systemctl --user "
                           "start recrypt-agent.socket`)");
  }
  ucred peer{};
  socklen_t len = sizeof peer;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0) {
    int e = errno;
    throw AgentUnreachable("cannot tell who answers on " + path + ": " + std::strerror(e));
  }
  if (peer.uid != ::geteuid()) {
    throw AgentUnreachable("refusing the agent socket " + path +
                           ": the process answering on it (pid " + std::to_string(peer.pid) +
                           ") runs as uid " + std::to_string(peer.uid) + ", not as you (uid " +
                           std::to_string(::geteuid()) +
                           "); start your own agent, or give --socket of your own agent");
  }
  fd_ = std::move(fd);
}

// A connection the agent closed is forgotten, so that the next call connects again (to an
// agent restarted meanwhile) rather than failing on the dead one.
void AgentClient::disconnect() {
  fd_.reset();
  pending_.clear();
}

SecureString AgentClient::exchange(const std::string& method, const Json& params,
                                   std::uint64_t& id) {
  if (!fd_) connect();
  id = next_id_++;
  std::string request = agent_rpc::make_request(id, method, params);
  try {
    send_all(fd_.get(), as_bytes(request));
  } catch (const Error&) {
    disconnect();
    throw AgentUnreachable("the agent closed the connection");
  }
  for (;;) {
    auto nl = pending_.find('\n');
    if (nl != SecureString::npos) {
      SecureString line = pending_.substr(0, nl);
      pending_.erase(0, nl + 1);
      return line;
    }
    if (pending_.size() > agent_rpc::kMaxMessage)
      throw AgentUnreachable("the agent's answer is too large");
    std::array<std::uint8_t, 65536> buf;
    std::size_t n = 0;
    try {
      n = recv_some(fd_.get(), buf);
    } catch (const Error&) {
      n = 0;
    }
    if (n == 0) {
      disconnect();
      throw AgentUnreachable("the agent closed the connection without answering");
    }
    pending_.append(reinterpret_cast<const char*>(buf.data()), n);
    secure_wipe(buf.data(), n);
  }
}

Json AgentClient::call(const std::string& method, const Json& params) {
  std::uint64_t id = 0;
  SecureString line = exchange(method, params, id);
  return agent_rpc::parse_response(line, id);
}

SecretJson AgentClient::call_secret(const std::string& method, const Json& params) {
  std::uint64_t id = 0;
  SecureString line = exchange(method, params, id);
  return agent_rpc::parse_secret_response(line, id);
}

}  // namespace recrypt::client
