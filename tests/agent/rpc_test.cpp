// The agent's JSON-RPC framing (protocol/agent/rpc.*): both ends, hostile requests, and the
// answers that carry key material staying in wiping memory.
#include <gtest/gtest.h>

#include "protocol/agent/rpc.hpp"
#include "base/error.hpp"

namespace recrypt::agent_rpc {
namespace {

Code code_of_request(std::string_view line) {
  Json id;
  try {
    parse_request(line, id);
  } catch (const RpcError& e) {
    return e.code();
  }
  ADD_FAILURE() << "accepted: " << line;
  return Code::internal_error;
}

TEST(AgentRpc, ParsesARequestWithNamedParameters) {
  Json id;
  Request r = parse_request(
      R"({"jsonrpc":"2.0","id":7,"method":"document.open","params":{"envelope":"e"}})", id);
  EXPECT_EQ(id, 7);
  EXPECT_EQ(r.method, "document.open");
  EXPECT_EQ(param_string(r.params, "envelope"), "e");
  EXPECT_FALSE(param_optional_string(r.params, "absent"));
}

TEST(AgentRpc, RefusesHostileRequests) {
  EXPECT_EQ(code_of_request("not json"), Code::parse_error);
  EXPECT_EQ(code_of_request(std::string(kMaxMessage + 1, ' ')), Code::parse_error);
  EXPECT_EQ(code_of_request(std::string(100, '[') + std::string(100, ']')), Code::parse_error);
  EXPECT_EQ(code_of_request("[]"), Code::invalid_request);
  EXPECT_EQ(code_of_request(R"({"jsonrpc":"1.0","id":1,"method":"m"})"), Code::invalid_request);
  EXPECT_EQ(code_of_request(R"({"jsonrpc":"2.0","id":1,"method":3})"), Code::invalid_request);
  EXPECT_EQ(code_of_request(R"({"jsonrpc":"2.0","id":{"a":1},"method":"m"})"),
            Code::invalid_request);
  EXPECT_EQ(code_of_request(R"({"jsonrpc":"2.0","id":1,"method":"m","params":[1]})"),
            Code::invalid_params);
}

TEST(AgentRpc, ResultRoundTripsAndTheSourceIsWiped) {
  Json result{{"plaintext", "c2VjcmV0IHBheWxvYWQga2V5IG1hdGVyaWFs"},
              {"via", {"group friends"}},
              {"recipient", 0}};
  const std::string* kept = &result.at("plaintext").get_ref<const std::string&>();
  SecureString line = make_result(Json(12), std::move(result));
  // make_result consumed the document: its strings are overwritten, not just freed later.
  EXPECT_EQ(*kept, std::string(kept->size(), '\0'));
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  SecretJson answer = parse_secret_response(line, 12);
  EXPECT_EQ(answer.at("plaintext").get_ref<const SecureString&>(),
            "c2VjcmV0IHBheWxvYWQga2V5IG1hdGVyaWFs");
  Json plain = parse_response(line, 12);
  EXPECT_EQ(plain.at("via").at(0), "group friends");
  EXPECT_EQ(plain.at("recipient"), 0);
}

TEST(AgentRpc, ClientRefusesAnswersToOtherRequestsAndMapsErrors) {
  SecureString line = make_result(Json(1), Json{{"ok", true}});
  line.pop_back();
  EXPECT_THROW(parse_response(line, 2), Error);
  EXPECT_THROW(parse_response("{}", 1), Error);
  EXPECT_THROW(parse_response(R"({"id":1})", 1), Error);
  EXPECT_THROW(parse_response("garbage", 1), Error);

  SecureString error =
      make_error(Json(3), Code::decrypt_failed, "nothing opens it", Json{{"reasons", {"a"}}});
  error.pop_back();
  try {
    parse_response(error, 3);
    FAIL() << "an error answer was taken for a result";
  } catch (const RpcError& e) {
    EXPECT_EQ(e.code(), Code::decrypt_failed);
    EXPECT_STREQ(e.what(), "nothing opens it");
    EXPECT_EQ(e.data().at("reasons").at(0), "a");
  }
}

}  // namespace
}  // namespace recrypt::agent_rpc
