// The C API of recrypt-agent-client.h against real recrypt-agent processes (soft keys) and a
// real recryptd on loopback: encryption to a group and decryption by a member, and the typed
// errors a C program reads, each with the text that says which rule refused.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "base/atomic_file.hpp"
#include "base/child_process.hpp"
#include "client/recipients.hpp"
#include "client/recrypt-agent-client.h"
#include "protocol/jcd.hpp"
#include "protocol/jwe.hpp"
#include "protocol/json.hpp"
#include "tests/service/recryptd_process.hpp"

namespace recrypt {
namespace {

namespace fs = std::filesystem;
constexpr const char* kGroup = "readers@example.com";

// A recrypt-agent of its own for one user: home, socket and passphrase file in `dir`.
class AgentProcess {
 public:
  explicit AgentProcess(const fs::path& dir) : socket_(dir / "run" / "agent.sock") {
    fs::create_directories(dir);
    write_file_atomic(dir / "passphrase", as_bytes("passphrase of a test user\n"), 0600);
    fs::path out = dir / "agent.out";
    ChildOptions options;
    options.in = Redirect::null();
    options.out = Redirect::file(out);
    options.err = Redirect::file(dir / "agent.log");
    process_ = ChildProcess(
        {RECRYPT_AGENT_PATH, "--home", (dir / "home").string(), "--socket", socket_.string(),
         "--passphrase-file", (dir / "passphrase").string(), "--confirm", "none"},
        options);
    for (int i = 0; i < 200; ++i) {
      std::ifstream f(out);
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (text.find("listening on") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("recrypt-agent did not start; see " + (dir / "agent.log").string());
  }
  const fs::path& socket() const { return socket_; }

 private:
  fs::path socket_;
  ChildProcess process_;
};

// A handle that closes itself; the tests read its errors.
struct Agent {
  recrypt_agent* h = nullptr;
  explicit Agent(const fs::path& socket) {
    recrypt_agent_status s = recrypt_agent_connect(socket.c_str(), &h);
    if (s != RECRYPT_AGENT_OK)
      throw std::runtime_error(std::string("connect: ") + recrypt_agent_error_message(h));
  }
  ~Agent() { recrypt_agent_close(h); }
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // An agent method that must succeed; its result.
  Json call(const std::string& method, const Json& params) {
    char* result = nullptr;
    recrypt_agent_status s = recrypt_agent_call(h, method.c_str(), params.dump().c_str(), &result);
    if (s != RECRYPT_AGENT_OK)
      throw std::runtime_error(method + ": " + recrypt_agent_error_message(h));
    Json r = Json::parse(result);
    recrypt_agent_free(result);
    return r;
  }
  std::string message() const { return recrypt_agent_error_message(h); }
};

struct Decrypted {
  recrypt_agent_status status;
  std::string plaintext;
  Json info;
};

Decrypted decrypt(Agent& agent, const std::string& jcd, const char* name = "report.txt.jcd") {
  uint8_t* plaintext = nullptr;
  size_t size = 0;
  char* info = nullptr;
  Decrypted d{recrypt_agent_decrypt(agent.h, reinterpret_cast<const uint8_t*>(jcd.data()),
                                    jcd.size(), name, &plaintext, &size, &info),
              "", nullptr};
  if (d.status == RECRYPT_AGENT_OK) {
    d.plaintext.assign(reinterpret_cast<const char*>(plaintext), size);
    d.info = Json::parse(info);
  } else {
    EXPECT_EQ(plaintext, nullptr);
    EXPECT_EQ(info, nullptr);
  }
  recrypt_agent_free(plaintext);
  recrypt_agent_free(info);
  return d;
}

// One service and three users for the whole suite: Alice administers the group, Bob and Carol
// are its members, Dave is in no group.
class CApi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    service = std::make_unique<test::RecryptdProcess>();
    service->start();
    for (const char* user : {"alice", "bob", "carol", "dave"}) {
      processes.push_back(std::make_unique<AgentProcess>(service->dir() / user));
      handles.push_back(std::make_unique<Agent>(processes.back()->socket()));
      ids.push_back(handles.back()->call("profile.create",
                                         Json{{"account", std::string(user) + "@example.com"},
                                              {"service", service->url()}})["id"]);
    }
    alice().call("group.create", Json{{"name", kGroup}});
    for (std::size_t member : {1u, 2u})
      alice().call("group.add", Json{{"group", kGroup},
                                     {"member", handles_account(member)},
                                     {"fingerprint", ids[member]}});
  }
  static void TearDownTestSuite() {
    handles.clear();
    processes.clear();
    service.reset();
  }
  static std::string handles_account(std::size_t i) {
    static const char* names[] = {"alice", "bob", "carol", "dave"};
    return std::string(names[i]) + "@example.com";
  }
  static Agent& alice() { return *handles[0]; }
  static Agent& bob() { return *handles[1]; }
  static Agent& carol() { return *handles[2]; }
  static Agent& dave() { return *handles[3]; }

  // `text` encrypted to the group by Alice through the C API.
  static std::string encrypted(const std::string& text) {
    uint8_t* jcd = nullptr;
    size_t size = 0;
    recrypt_agent_status s = recrypt_agent_encrypt_to_group(
        alice().h, kGroup, reinterpret_cast<const uint8_t*>(text.data()), text.size(), "report.txt",
        "text/plain", &jcd, &size);
    EXPECT_EQ(s, RECRYPT_AGENT_OK) << alice().message();
    std::string out(reinterpret_cast<const char*>(jcd), size);
    recrypt_agent_free(jcd);
    return out;
  }

  static inline std::unique_ptr<test::RecryptdProcess> service;
  static inline std::vector<std::unique_ptr<AgentProcess>> processes;
  static inline std::vector<std::unique_ptr<Agent>> handles;
  static inline std::vector<Json> ids;
};

TEST(CApiWithoutAgent, AnAgentThatIsNotRunningIsUnreachableSayingWhereItLooked) {
  char folder[] = "/tmp/recrypt-c-api.XXXXXX";
  ASSERT_NE(::mkdtemp(folder), nullptr);
  std::string socket = std::string(folder) + "/agent.sock";
  recrypt_agent* agent = nullptr;
  EXPECT_EQ(recrypt_agent_connect(socket.c_str(), &agent), RECRYPT_AGENT_ERR_UNREACHABLE);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(recrypt_agent_last_error(agent), RECRYPT_AGENT_ERR_UNREACHABLE);
  std::string message = recrypt_agent_error_message(agent);
  EXPECT_NE(message.find("cannot reach recrypt-agent at " + socket), std::string::npos) << message;
  EXPECT_NE(message.find("is it running?"), std::string::npos) << message;
  EXPECT_STREQ(recrypt_agent_status_name(recrypt_agent_last_error(agent)), "unreachable");
  // Later calls try again, and fail the same way rather than crash.
  char* version = nullptr;
  EXPECT_EQ(recrypt_agent_hello(agent, &version, nullptr, nullptr), RECRYPT_AGENT_ERR_UNREACHABLE);
  EXPECT_EQ(version, nullptr);
  recrypt_agent_close(agent);
  ::rmdir(folder);
}

TEST(CApiWithoutAgent, MissingArgumentsAreErrorsNotCrashes) {
  EXPECT_EQ(recrypt_agent_connect(nullptr, nullptr), RECRYPT_AGENT_ERR_ARGUMENT);
  EXPECT_EQ(recrypt_agent_hello(nullptr, nullptr, nullptr, nullptr), RECRYPT_AGENT_ERR_ARGUMENT);
  recrypt_agent_close(nullptr);
  recrypt_agent_free(nullptr);
  EXPECT_STREQ(recrypt_agent_error_message(nullptr), "out of memory");
}

TEST_F(CApi, HelloNamesTheAgentsVersionAndTheProfile) {
  char *version = nullptr, *account = nullptr, *url = nullptr;
  ASSERT_EQ(recrypt_agent_hello(bob().h, &version, &account, &url), RECRYPT_AGENT_OK)
      << bob().message();
  EXPECT_STREQ(version, RECRYPT_VERSION);
  EXPECT_STREQ(account, "bob@example.com");
  EXPECT_EQ(std::string(url), service->url());
  recrypt_agent_free(version);
  recrypt_agent_free(account);
  recrypt_agent_free(url);
}

TEST_F(CApi, AMemberDecryptsWhatWasEncryptedToTheGroup) {
  std::string jcd = encrypted("quarterly numbers\n");
  EXPECT_EQ(jcd.substr(0, jcd.find('\n')), jcd::kMagic) << "not a .jcd";
  Decrypted d = decrypt(bob(), jcd);
  ASSERT_EQ(d.status, RECRYPT_AGENT_OK) << bob().message();
  EXPECT_EQ(d.plaintext, "quarterly numbers\n");
  EXPECT_EQ(d.info["name"], "report.txt");
  EXPECT_EQ(d.info["media_type"], "text/plain");
  ASSERT_EQ(d.info["via"].size(), 1u);
  EXPECT_NE(d.info["via"][0].get<std::string>().find(kGroup), std::string::npos) << d.info;

  // The same from a file, and the envelope alone: the metadata with the payload key.
  fs::path file = service->dir() / "report.txt.jcd";
  write_file_atomic(file, as_bytes(jcd), 0600);
  uint8_t* plaintext = nullptr;
  size_t size = 0;
  ASSERT_EQ(recrypt_agent_decrypt_file(carol().h, file.c_str(), &plaintext, &size, nullptr),
            RECRYPT_AGENT_OK)
      << carol().message();
  EXPECT_EQ(std::string(reinterpret_cast<char*>(plaintext), size), "quarterly numbers\n");
  recrypt_agent_free(plaintext);
  std::string envelope = jcd.substr(jcd.find('\n') + 1);
  envelope = envelope.substr(0, envelope.find('\n'));
  char* metadata = nullptr;
  ASSERT_EQ(recrypt_agent_open_envelope(bob().h, envelope.c_str(), nullptr, &metadata),
            RECRYPT_AGENT_OK)
      << bob().message();
  Json m = Json::parse(metadata);
  EXPECT_TRUE(m.contains("payload_key")) << "no payload key in the metadata";
  recrypt_agent_free(metadata);
}

TEST_F(CApi, AnEmptyDocumentRoundTrips) {
  Decrypted d = decrypt(bob(), encrypted(""));
  ASSERT_EQ(d.status, RECRYPT_AGENT_OK) << bob().message();
  EXPECT_EQ(d.plaintext, "");
}

TEST_F(CApi, SomeoneOutsideTheGroupIsNotDecryptableWithTheReason) {
  Decrypted d = decrypt(dave(), encrypted("not for Dave"));
  EXPECT_EQ(d.status, RECRYPT_AGENT_ERR_NOT_DECRYPTABLE);
  EXPECT_EQ(recrypt_agent_error_rpc_code(dave().h), -32006);
  std::string message = dave().message();
  EXPECT_NE(message.find("this agent cannot open the document"), std::string::npos) << message;
  Json data = Json::parse(recrypt_agent_error_data(dave().h));
  EXPECT_TRUE(data["reasons"].is_array()) << data;
}

TEST_F(CApi, AnEnvelopeThatIsNoDocumentIsRefusedNamingItsType) {
  // A JWE to the group's key whose content type is not a document's, as a wrapped share is:
  // the agent refuses it before any key is used.
  jwe::RecipientKey group = client::recipient_from_profile(
      alice().call("group.recipient", Json{{"group", kGroup}})["profile"].get<std::string>());
  std::string envelope =
      jwe::encrypt(as_bytes("{}"), {jwe::RecipientSpec{group}}, "recrypt-share+jwk").serialize();
  char* metadata = nullptr;
  EXPECT_EQ(recrypt_agent_open_envelope(bob().h, envelope.c_str(), nullptr, &metadata),
            RECRYPT_AGENT_ERR_REFUSED);
  EXPECT_EQ(metadata, nullptr);
  EXPECT_EQ(recrypt_agent_error_rpc_code(bob().h), -32001);
  EXPECT_NE(bob().message().find("not content of type \"recrypt-share+jwk\""), std::string::npos)
      << bob().message();
  EXPECT_EQ(Json::parse(recrypt_agent_error_data(bob().h))["cty"], "recrypt-share+jwk");
  // Not JSON at all is the caller's malformed input, as the agent says.
  EXPECT_EQ(recrypt_agent_open_envelope(bob().h, "{\"protected\":\"e30\"}", nullptr, &metadata),
            RECRYPT_AGENT_ERR_MALFORMED)
      << bob().message();
  EXPECT_EQ(recrypt_agent_error_rpc_code(bob().h), -32602);
}

TEST_F(CApi, ATamperedPayloadIsCorruptAndNothingIsReleased) {
  std::string jcd = encrypted("integrity matters");
  jcd[jcd.size() - 20] ^= 1;
  Decrypted d = decrypt(bob(), jcd);
  EXPECT_EQ(d.status, RECRYPT_AGENT_ERR_CORRUPT) << bob().message();
  EXPECT_EQ(d.plaintext, "");
}

TEST_F(CApi, NotAJcdIsMalformedBeforeTheAgentIsAsked) {
  Decrypted d = decrypt(bob(), "hello, world\n");
  EXPECT_EQ(d.status, RECRYPT_AGENT_ERR_MALFORMED);
  EXPECT_EQ(recrypt_agent_error_rpc_code(bob().h), 0);
  EXPECT_FALSE(bob().message().empty());
}

TEST_F(CApi, AMethodTheAgentDoesNotKnowIsAProtocolError) {
  char* result = nullptr;
  EXPECT_EQ(recrypt_agent_call(bob().h, "no.such_method", nullptr, &result),
            RECRYPT_AGENT_ERR_PROTOCOL);
  EXPECT_EQ(recrypt_agent_error_rpc_code(bob().h), -32601);
  EXPECT_EQ(recrypt_agent_call(bob().h, "agent.hello", "[1,2]", &result),
            RECRYPT_AGENT_ERR_MALFORMED);
  EXPECT_EQ(result, nullptr);
}

// Last (tests run in the order they are written), since it changes the group: Carol revoked
// reads nothing, and the reason is the service's.
TEST_F(CApi, RevokedMemberIsRefusedWithTheServicesReason) {
  std::string jcd = encrypted("after the revocation");
  alice().call("group.revoke", Json{{"group", kGroup}, {"member", "carol@example.com"}});
  Decrypted d = decrypt(carol(), jcd);
  EXPECT_EQ(d.status, RECRYPT_AGENT_ERR_NOT_DECRYPTABLE);
  std::string message = carol().message();
  EXPECT_NE(message.find("service: member is revoked"), std::string::npos) << message;
  EXPECT_STREQ(recrypt_agent_status_name(d.status), "not-decryptable");
}

}  // namespace
}  // namespace recrypt
