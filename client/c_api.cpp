// recrypt-agent-client.h on the C++ client: every entry point runs its work through
// guarded(), which turns each exception into the handle's typed error, so that nothing
// escapes into C and nothing aborts.
#include <cstring>
#include <filesystem>
#include <memory>
#include <new>

#include "base/atomic_file.hpp"
#include "base/error.hpp"
#include "client/agent_client.hpp"
#include "client/c_memory.hpp"
#include "client/recipients.hpp"
#include "client/recrypt-agent-client.h"
#include "protocol/agent/paths.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jcd.hpp"
#include "protocol/service/profile.hpp"

using recrypt::Errc;
using recrypt::Json;
using recrypt::SecretJson;
using recrypt::agent_rpc::Code;
using recrypt::agent_rpc::RpcError;

struct recrypt_agent {
  std::unique_ptr<recrypt::client::AgentClient> client;
  recrypt_agent_status status = RECRYPT_AGENT_OK;
  std::string message;
  std::string data;  // JSON text, "" when none
  int rpc_code = 0;
  int service_status = 0;
};

namespace {

using namespace recrypt;
using client::c_alloc_copy;

constexpr std::size_t kMaxParams = agent_rpc::kMaxMessage;
constexpr std::size_t kMaxFile = std::size_t{1} << 30;

// An answer of the agent that is not what the protocol says.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A caller's argument this library cannot take (a NULL pointer where one is required).
class ArgumentError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

recrypt_agent_status from_rpc(Code code) {
  switch (code) {
    case Code::parse_error:
    case Code::invalid_request:
    case Code::method_not_found:
      return RECRYPT_AGENT_ERR_PROTOCOL;
    case Code::invalid_params:
      return RECRYPT_AGENT_ERR_MALFORMED;
    case Code::internal_error:
      return RECRYPT_AGENT_ERR_INTERNAL;
    case Code::refused:
      return RECRYPT_AGENT_ERR_REFUSED;
    case Code::not_found:
      return RECRYPT_AGENT_ERR_NOT_FOUND;
    case Code::auth_failed:
      return RECRYPT_AGENT_ERR_AUTH;
    case Code::device_error:
      return RECRYPT_AGENT_ERR_DEVICE;
    case Code::service_error:
      return RECRYPT_AGENT_ERR_SERVICE;
    case Code::decrypt_failed:
      return RECRYPT_AGENT_ERR_NOT_DECRYPTABLE;
    case Code::conflict:
      return RECRYPT_AGENT_ERR_CONFLICT;
    case Code::consent_refused:
      return RECRYPT_AGENT_ERR_DECLINED;
    case Code::review_pending:
      return RECRYPT_AGENT_ERR_REVIEW_PENDING;
  }
  return RECRYPT_AGENT_ERR_PROTOCOL;  // a code this library does not know
}

recrypt_agent_status from_errc(Errc code) {
  switch (code) {
    case Errc::decrypt_failed:
    case Errc::truncated:
      return RECRYPT_AGENT_ERR_CORRUPT;
    case Errc::io:
      return RECRYPT_AGENT_ERR_IO;
    case Errc::internal:
      return RECRYPT_AGENT_ERR_INTERNAL;
    case Errc::malformed:
    case Errc::unsupported:
    case Errc::invalid_key:
    case Errc::too_large:
      break;
  }
  return RECRYPT_AGENT_ERR_MALFORMED;
}

void set_error(recrypt_agent* agent, recrypt_agent_status status, std::string message) {
  agent->status = status;
  agent->message = std::move(message);
}

void set_rpc_error(recrypt_agent* agent, const RpcError& e) {
  set_error(agent, from_rpc(e.code()), e.what());
  agent->rpc_code = static_cast<int>(e.code());
  if (!e.data().is_null())
    agent->data = e.data().dump(-1, ' ', false, Json::error_handler_t::replace);
  if (e.code() == Code::service_error && e.data().is_object()) {
    auto status = e.data().find("status");
    if (status != e.data().end() && status->is_number_integer()) {
      std::int64_t s = status->get<std::int64_t>();
      if (s >= 0 && s <= 65535) agent->service_status = static_cast<int>(s);
    }
  }
}

// Runs `work` with the handle's error cleared, and records how it failed.
template <typename Work>
recrypt_agent_status guarded(recrypt_agent* agent, Work&& work) {
  if (agent == nullptr) return RECRYPT_AGENT_ERR_ARGUMENT;
  try {
    agent->status = RECRYPT_AGENT_OK;
    agent->message.clear();
    agent->data.clear();
    agent->rpc_code = 0;
    agent->service_status = 0;
    work();
    return RECRYPT_AGENT_OK;
  } catch (const RpcError& e) {
    set_rpc_error(agent, e);
  } catch (const client::AgentUnreachable& e) {
    set_error(agent, RECRYPT_AGENT_ERR_UNREACHABLE, e.what());
  } catch (const ProtocolError& e) {
    set_error(agent, RECRYPT_AGENT_ERR_PROTOCOL, e.what());
  } catch (const ArgumentError& e) {
    set_error(agent, RECRYPT_AGENT_ERR_ARGUMENT, e.what());
  } catch (const Error& e) {
    set_error(agent, from_errc(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    set_error(agent, RECRYPT_AGENT_ERR_INTERNAL, "out of memory");
  } catch (const std::exception& e) {
    set_error(agent, RECRYPT_AGENT_ERR_INTERNAL, e.what());
  }
  return agent->status;
}

void require(bool ok, const char* what) {
  if (!ok) throw ArgumentError(what);
}

client::AgentClient& connection(recrypt_agent* agent) {
  if (!agent->client)
    agent->client = std::make_unique<client::AgentClient>(agent::default_socket_path());
  return *agent->client;
}

// An agent method whose answer is malformed JSON-RPC (or, read by its fields, not what the
// protocol says) is the agent's fault: a protocol error, not the caller's malformed input.
template <typename Ask>
auto asking(Ask&& ask) {
  try {
    return ask();
  } catch (const Error& e) {
    throw ProtocolError(std::string("the agent's answer: ") + e.what());
  } catch (const nlohmann::json::exception& e) {
    throw ProtocolError(std::string("the agent's answer: ") + e.what());
  }
}

char* optional_text(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return c_alloc_copy(it->get<std::string>());
}

// document.open on the envelope, and the metadata it opened: FORMAT.md §2, key material.
SecureBytes open_envelope(client::AgentClient& client, const std::string& envelope,
                          const char* name, Json* via) {
  Json request{{"envelope", envelope}};
  if (name != nullptr) request["name"] = name;
  SecretJson opened = client.call_secret("document.open", request);
  return asking([&] {
    if (via != nullptr) *via = json::to_plain(opened.value("via", SecretJson::array()));
    return base64url::decode_secret(
        json::secret_string_field(opened, "plaintext", "document.open answer"));
  });
}

void decrypt(recrypt_agent* agent, ByteView document, const char* name, uint8_t** plaintext,
             size_t* plaintext_size, char** info) {
  require(plaintext != nullptr && plaintext_size != nullptr, "plaintext and its size are required");
  *plaintext = nullptr;
  *plaintext_size = 0;
  if (info != nullptr) *info = nullptr;
  MemorySource source(document);
  BufferedInput input(source);
  jcd::Header header = jcd::read_header(input);
  Json via;
  SecureBytes opened = open_envelope(connection(agent), header.envelope.serialize(), name, &via);
  jcd::Metadata metadata = jcd::Metadata::from_json(opened);
  jcd::Decryptor decryptor(input, metadata, header.digest);
  SecureBytes content;
  content.reserve(document.size());  // the plaintext is shorter
  while (auto segment = decryptor.next())
    content.insert(content.end(), segment->begin(), segment->end());
  Json about{{"via", via}};
  if (metadata.info.name) about["name"] = *metadata.info.name;
  if (metadata.info.media_type) about["media_type"] = *metadata.info.media_type;
  if (metadata.info.created) about["created"] = *metadata.info.created;
  client::CBuffer out(content);
  if (info != nullptr)
    *info = c_alloc_copy(about.dump(-1, ' ', false, Json::error_handler_t::replace));
  *plaintext_size = content.size();
  *plaintext = out.release();
}

}  // namespace

extern "C" {

const char* recrypt_agent_status_name(recrypt_agent_status status) {
  switch (status) {
    case RECRYPT_AGENT_OK:
      return "ok";
    case RECRYPT_AGENT_ERR_UNREACHABLE:
      return "unreachable";
    case RECRYPT_AGENT_ERR_ARGUMENT:
      return "argument";
    case RECRYPT_AGENT_ERR_MALFORMED:
      return "malformed";
    case RECRYPT_AGENT_ERR_CORRUPT:
      return "corrupt";
    case RECRYPT_AGENT_ERR_IO:
      return "io";
    case RECRYPT_AGENT_ERR_PROTOCOL:
      return "protocol";
    case RECRYPT_AGENT_ERR_INTERNAL:
      return "internal";
    case RECRYPT_AGENT_ERR_REFUSED:
      return "refused";
    case RECRYPT_AGENT_ERR_NOT_FOUND:
      return "not-found";
    case RECRYPT_AGENT_ERR_AUTH:
      return "auth";
    case RECRYPT_AGENT_ERR_DEVICE:
      return "device";
    case RECRYPT_AGENT_ERR_SERVICE:
      return "service";
    case RECRYPT_AGENT_ERR_NOT_DECRYPTABLE:
      return "not-decryptable";
    case RECRYPT_AGENT_ERR_CONFLICT:
      return "conflict";
    case RECRYPT_AGENT_ERR_DECLINED:
      return "declined";
    case RECRYPT_AGENT_ERR_REVIEW_PENDING:
      return "review-pending";
  }
  return "unknown";
}

recrypt_agent_status recrypt_agent_connect(const char* socket_path, recrypt_agent** out) {
  if (out == nullptr) return RECRYPT_AGENT_ERR_ARGUMENT;
  *out = new (std::nothrow) recrypt_agent;
  if (*out == nullptr) return RECRYPT_AGENT_ERR_INTERNAL;
  return guarded(*out, [&] {
    std::filesystem::path path =
        socket_path != nullptr ? std::filesystem::path(socket_path) : agent::default_socket_path();
    (*out)->client = std::make_unique<client::AgentClient>(std::move(path));
    Json hello = (*out)->client->call("agent.hello");
    asking([&] {
      int protocol = hello.at("protocol").get<int>();
      if (protocol != agent_rpc::kProtocolVersion)
        throw ProtocolError("the agent speaks protocol " + std::to_string(protocol) +
                            "; this library speaks " + std::to_string(agent_rpc::kProtocolVersion));
    });
  });
}

void recrypt_agent_close(recrypt_agent* agent) { delete agent; }

void recrypt_agent_free(void* p) { client::c_free(p); }

recrypt_agent_status recrypt_agent_last_error(const recrypt_agent* agent) {
  return agent != nullptr ? agent->status : RECRYPT_AGENT_ERR_INTERNAL;
}

const char* recrypt_agent_error_message(const recrypt_agent* agent) {
  return agent != nullptr ? agent->message.c_str() : "out of memory";
}

int recrypt_agent_error_rpc_code(const recrypt_agent* agent) {
  return agent != nullptr ? agent->rpc_code : 0;
}

const char* recrypt_agent_error_data(const recrypt_agent* agent) {
  return agent != nullptr ? agent->data.c_str() : "";
}

int recrypt_agent_error_service_status(const recrypt_agent* agent) {
  return agent != nullptr ? agent->service_status : 0;
}

recrypt_agent_status recrypt_agent_hello(recrypt_agent* agent, char** version, char** account,
                                         char** service) {
  return guarded(agent, [&] {
    for (char** out : {version, account, service})
      if (out != nullptr) *out = nullptr;
    Json hello = connection(agent).call("agent.hello");
    Json status = connection(agent).call("agent.status");
    client::CStrings out;
    asking([&] {
      out.add(version, c_alloc_copy(hello.at("version").get<std::string>()));
      const Json& profile = status.contains("profile") ? status["profile"] : Json();
      bool has = profile.is_object();
      out.add(account, has ? optional_text(profile, "account") : nullptr);
      out.add(service, has ? optional_text(profile, "service") : nullptr);
    });
    out.hand_over();
  });
}

recrypt_agent_status recrypt_agent_encrypt_to_group(recrypt_agent* agent, const char* group,
                                                    const uint8_t* data, size_t size,
                                                    const char* name, const char* media_type,
                                                    uint8_t** jcd_out, size_t* jcd_size) {
  return guarded(agent, [&] {
    require(group != nullptr && *group != '\0', "a group name is required");
    require(data != nullptr || size == 0, "data is NULL but its size is not 0");
    require(jcd_out != nullptr && jcd_size != nullptr, "jcd and its size are required");
    *jcd_out = nullptr;
    *jcd_size = 0;
    jwe::RecipientKey recipient =
        asking([&] { return client::group_recipient(connection(agent), group); });
    jcd::FileInfo info;
    if (name != nullptr) info.name = name;
    if (media_type != nullptr) info.media_type = media_type;
    info.created = service::rfc3339_now();
    MemorySink sink;
    jcd::Encryptor encryptor(sink, {jwe::RecipientSpec{recipient}}, info);
    if (size > 0) encryptor.update(ByteView(data, size));
    encryptor.finish();
    *jcd_size = sink.data().size();
    *jcd_out = client::CBuffer(sink.data()).release();
  });
}

recrypt_agent_status recrypt_agent_decrypt(recrypt_agent* agent, const uint8_t* jcd,
                                           size_t jcd_size, const char* name, uint8_t** plaintext,
                                           size_t* plaintext_size, char** info) {
  return guarded(agent, [&] {
    require(jcd != nullptr || jcd_size == 0, "jcd is NULL but its size is not 0");
    decrypt(agent, ByteView(jcd, jcd_size), name, plaintext, plaintext_size, info);
  });
}

recrypt_agent_status recrypt_agent_decrypt_file(recrypt_agent* agent, const char* path,
                                                uint8_t** plaintext, size_t* plaintext_size,
                                                char** info) {
  return guarded(agent, [&] {
    require(path != nullptr, "a path is required");
    Bytes file = read_file(path, kMaxFile);
    std::string name = std::filesystem::path(path).filename().string();
    decrypt(agent, file, name.c_str(), plaintext, plaintext_size, info);
  });
}

recrypt_agent_status recrypt_agent_open_envelope(recrypt_agent* agent, const char* envelope_line,
                                                 const char* name, char** metadata) {
  return guarded(agent, [&] {
    require(envelope_line != nullptr && metadata != nullptr, "envelope and metadata are required");
    *metadata = nullptr;
    SecureBytes opened = open_envelope(connection(agent), envelope_line, name, nullptr);
    *metadata = reinterpret_cast<char*>(client::CBuffer(opened).release());
  });
}

recrypt_agent_status recrypt_agent_call(recrypt_agent* agent, const char* method,
                                        const char* params_json, char** result_json) {
  return guarded(agent, [&] {
    require(method != nullptr && result_json != nullptr, "method and result are required");
    *result_json = nullptr;
    Json params = Json::object();
    if (params_json != nullptr) {
      params = json::parse(params_json, kMaxParams, "params");
      json::require_object(params, "params");
    }
    SecretJson result = connection(agent).call_secret(method, params);
    SecureString text = result.dump();
    *result_json = reinterpret_cast<char*>(client::CBuffer(as_bytes(text)).release());
  });
}

}  // extern "C"
