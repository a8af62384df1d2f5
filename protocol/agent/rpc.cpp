#include "protocol/agent/rpc.hpp"

#include "base/error.hpp"

namespace recrypt::agent_rpc {
namespace {

bool valid_id(const Json& id) { return id.is_null() || id.is_string() || id.is_number_integer(); }

}  // namespace

Request parse_request(std::string_view line, Json& id_out) {
  id_out = nullptr;
  Json doc;
  try {
    doc = json::parse(line, kMaxMessage, "request");
  } catch (const Error& e) {
    throw RpcError(Code::parse_error, e.what());
  }
  if (!doc.is_object()) throw RpcError(Code::invalid_request, "a request must be a JSON object");
  if (auto it = doc.find("id"); it != doc.end() && valid_id(*it)) id_out = *it;
  auto version = doc.find("jsonrpc");
  if (version == doc.end() || *version != "2.0")
    throw RpcError(Code::invalid_request, "\"jsonrpc\" must be \"2.0\"");
  auto method = doc.find("method");
  if (method == doc.end() || !method->is_string())
    throw RpcError(Code::invalid_request, "\"method\" must be a string");
  if (auto it = doc.find("id"); it != doc.end() && !valid_id(*it))
    throw RpcError(Code::invalid_request, "\"id\" must be a string, an integer or null");
  Json params = Json::object();
  if (auto it = doc.find("params"); it != doc.end()) {
    if (!it->is_object())
      throw RpcError(Code::invalid_params, "\"params\" must be an object (named parameters)");
    params = *it;
  }
  return Request{id_out, method->get<std::string>(), std::move(params)};
}

namespace {
// Answers carry what tokens, files and paths hold, which need not be UTF-8: such bytes become
// U+FFFD instead of an exception that would leave the client without an answer.
constexpr auto kReplace = Json::error_handler_t::replace;
}  // namespace

SecureString make_result(const Json& id, Json&& result) {
  SecretJson answer{
      {"jsonrpc", "2.0"}, {"id", json::to_secret(id)}, {"result", json::to_secret(result)}};
  json::wipe_strings(result);
  SecureString line = answer.dump(-1, ' ', false, SecretJson::error_handler_t::replace);
  line += '\n';
  return line;
}

SecureString make_error(const Json& id, Code code, const std::string& message, const Json& data) {
  Json error{{"code", static_cast<int>(code)}, {"message", message}};
  if (!data.is_null()) error["data"] = data;
  std::string line = Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}}.dump(
                         -1, ' ', false, kReplace) +
                     "\n";
  return SecureString(line.begin(), line.end());
}

std::string make_request(std::uint64_t id, std::string_view method, const Json& params) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}}.dump(
             -1, ' ', false, kReplace) +
         "\n";
}

SecretJson parse_secret_response(std::string_view line, std::uint64_t expected_id) {
  SecretJson doc = json::parse_secret(line, kMaxMessage, "agent response");
  if (!doc.is_object()) fail(Errc::malformed, "agent response is not a JSON object");
  auto id = doc.find("id");
  if (id == doc.end() || !id->is_number_unsigned() || id->get<std::uint64_t>() != expected_id)
    fail(Errc::malformed, "agent response does not answer our request");
  if (auto err = doc.find("error"); err != doc.end()) {
    if (!err->is_object()) fail(Errc::malformed, "agent error is not a JSON object");
    Json error = json::to_plain(*err);
    auto code = error.find("code");
    auto message = error.find("message");
    int c = code != error.end() && code->is_number_integer()
                ? code->get<int>()
                : static_cast<int>(Code::internal_error);
    std::string m = message != error.end() && message->is_string() ? message->get<std::string>()
                                                                   : "agent error";
    throw RpcError(static_cast<Code>(c), m, error.value("data", Json()));
  }
  auto result = doc.find("result");
  if (result == doc.end()) fail(Errc::malformed, "agent response has neither result nor error");
  return std::move(*result);
}

Json parse_response(std::string_view line, std::uint64_t expected_id) {
  return json::to_plain(parse_secret_response(line, expected_id));
}

const std::string& param_string(const Json& params, std::string_view name) {
  auto it = params.find(name);
  if (it == params.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    throw RpcError(Code::invalid_params,
                   "parameter \"" + std::string(name) + "\" must be a non-empty string");
  return it->get_ref<const std::string&>();
}

std::optional<std::string> param_optional_string(const Json& params, std::string_view name) {
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw RpcError(Code::invalid_params,
                   "parameter \"" + std::string(name) + "\" must be a string");
  return it->get<std::string>();
}

}  // namespace recrypt::agent_rpc
