// The agent's JSON-RPC 2.0 wire protocol (protocol/agent/rpc.hpp) on arbitrary lines, both ends:
//  - the agent's side, as Agent::handle_line takes a line: parse_request refuses with RpcError
//    (parse_error, invalid_request, invalid_params) and an id that is null, a string or an
//    integer; a request has object params, and the parameter accessors refuse with
//    invalid_params. Every answer the agent would write (the refusal, an unknown method, a
//    result) is one JSON line that the CLI's parse_response reads back;
//  - the CLI's side: parse_response and parse_secret_response on the same bytes, as if an
//    agent had answered with them: a result, or RpcError or Error.
// Anything else escaping, or a property broken, is a bug.
#include <cstdlib>

#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"

namespace {

using namespace recrypt;
using namespace recrypt::agent_rpc;

bool valid_id(const Json& id) { return id.is_null() || id.is_string() || id.is_number_integer(); }

// An answer line: one line, ending in its only newline, a JSON object with jsonrpc and id.
Json answer(const SecureString& line, const Json& id) {
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) std::abort();
  const Json doc = Json::parse(std::string_view(line.data(), line.size()));
  if (!doc.is_object() || doc.value("jsonrpc", "") != "2.0" || doc.at("id") != id) std::abort();
  return doc;
}

// What the CLI reads from an answer to its request number n.
template <class Check>
void client_reads(const SecureString& line, const Json& id, Check&& check) {
  if (!id.is_number_unsigned()) return;  // the CLI numbers its requests from 1
  const std::string_view text(line.data(), line.size());
  check(text, id.get<std::uint64_t>());
}

void parameters(const Json& params) {
  for (const auto& [name, value] : params.items()) {
    try {
      const std::string& s = param_string(params, name);
      if (!value.is_string() || s.empty() || s != value.get_ref<const std::string&>()) std::abort();
    } catch (const RpcError& e) {
      if (e.code() != Code::invalid_params) std::abort();
    }
    try {
      auto s = param_optional_string(params, name);
      if (s.has_value() != value.is_string()) std::abort();
    } catch (const RpcError& e) {
      if (e.code() != Code::invalid_params || value.is_string() || value.is_null()) std::abort();
    }
  }
  // An absent parameter: a refusal for the required accessor, nothing for the optional one.
  try {
    (void)param_string(Json::object(), "absent");
    std::abort();
  } catch (const RpcError& e) {
    if (e.code() != Code::invalid_params) std::abort();
  }
}

void agent_side(std::string_view line) {
  Json id = 42;
  Request request;
  try {
    request = parse_request(line, id);
  } catch (const RpcError& e) {
    if (e.code() != Code::parse_error && e.code() != Code::invalid_request &&
        e.code() != Code::invalid_params)
      std::abort();
    if (!valid_id(id)) std::abort();
    const SecureString refusal = make_error(id, e.code(), e.what());
    (void)answer(refusal, id);
    client_reads(refusal, id, [&](std::string_view text, std::uint64_t n) {
      try {
        (void)parse_response(text, n);
        std::abort();
      } catch (const RpcError& back) {
        if (back.code() != e.code() || std::string(back.what()) != e.what()) std::abort();
      }
    });
    return;
  }
  if (!valid_id(id) || request.id != id || !request.params.is_object()) std::abort();
  parameters(request.params);

  // The agent's answer to a method it does not have, and a result (the params, echoed).
  const SecureString unknown =
      make_error(request.id, Code::method_not_found, "no method \"" + request.method + "\"");
  (void)answer(unknown, request.id);
  Json echoed = request.params;
  const SecureString result = make_result(request.id, std::move(echoed));
  if (answer(result, request.id).at("result") != request.params) std::abort();
  client_reads(result, request.id, [&](std::string_view text, std::uint64_t n) {
    if (parse_response(text, n) != request.params) std::abort();
    if (json::to_plain(parse_secret_response(text, n)) != request.params) std::abort();
    try {
      (void)parse_response(text, n + 1);  // an answer to another request
      std::abort();
    } catch (const Error& e) {
      if (e.code() != Errc::malformed) std::abort();
    }
  });
}

void client_side(std::string_view line) {
  for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{42}}) {
    try {
      (void)parse_response(line, n);
    } catch (const RpcError&) {
    } catch (const Error&) {
    }
    try {
      (void)parse_secret_response(line, n);
    } catch (const RpcError&) {
    } catch (const Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  agent_side(line);
  client_side(line);
  return 0;
}
