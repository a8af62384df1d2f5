// Hostile and broken input over the wire: the server answers with the right status or closes
// the connection, and always answers the next Hello.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "tests/service/service_test.hpp"

namespace recrypt::test {
namespace {

// A bare TCP connection for bytes no HTTP client would send.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawSocket() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Everything until the peer closes (or 5 s pass).
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

class Robustness : public ServiceTest {
 protected:
  Robustness() : ServiceTest({"--read-timeout-ms", "700", "--max-body", "65536"}) {}
  void expect_alive() { EXPECT_EQ(client(*alice).hello().versions.size(), 1u); }
  int raw(const std::string& body) { return client(*alice).post_raw(body, "").status; }
};

TEST_F(Robustness, MalformedJsonIsRefused) {
  EXPECT_EQ(raw("{\"HelloRequest\":"), 400);
  EXPECT_EQ(raw(""), 400);
  EXPECT_EQ(raw("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]"
                "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"),
            413);
  EXPECT_EQ(raw("{\"HelloRequest\":{}} trailing"), 400);
  EXPECT_EQ(raw("{\"NoSuchRequest\":{}}"), 400);
  EXPECT_EQ(raw(std::string("{\"HelloRequest\":{\"x\":\"\xff\xfe\"}}")), 400);
  expect_alive();
}

TEST_F(Robustness, WrongTypesAreRefused) {
  EXPECT_EQ(raw(R"({"GetProfileRequest":{"id":5}})"), 400);
  EXPECT_EQ(raw(R"({"GetProfileRequest":{"id":"a","account":"b"}})"), 400);
  EXPECT_EQ(raw(R"({"HelloRequest":"hello"})"), 400);
  // Signed but mistyped: the signature is checked first, then the fields.
  create_group();
  auto c = client(*alice);
  for (
      std::string b :
      {R"({"AddMemberRequest":{"group":"friends@example.com","entries":{}}})",
       R"({"AddMemberRequest":{"group":"friends@example.com","entries":[{"member":1}]}})",
       R"({"RecryptDataRequest":{"group":"friends@example.com","key_id":"K","epk":{"kty":"EC"}}})",
       R"({"RecryptDataRequest":{"group":"friends@example.com","key_id":"K","epk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}}})",
       R"({"UpdateMemberRequest":{"group":"friends@example.com","member":"M","status":"ZOMBIE"}})",
       R"({"ReadAuditRequest":{"group":"friends@example.com","limit":-1}})"}) {
    EXPECT_EQ(c.post_raw(b, c.sign(b)).status, 400) << b;
  }
  expect_alive();
}

// How a request finds its transaction: an unknown name is refused before any signature check,
// a signed transaction checks its signature before its fields, and each answer is tagged with
// the transaction's name.
TEST_F(Robustness, RequestsFindTheirTransactionByName) {
  auto c = client(*alice);
  auto answer = [&](const std::string& body, bool sign) {
    auto raw = c.post_raw(body, sign ? c.sign(body) : "");
    Json j = Json::parse(raw.body);
    EXPECT_EQ(j.size(), 1u) << raw.body;
    // The tag is copied out while the iterator over `j` is alive.
    auto it = j.begin();
    std::string tag = it.key();
    return std::tuple(raw.status, tag, it.value().value("StatusDescription", std::string()));
  };
  using Answer = std::tuple<int, std::string, std::string>;
  for (bool sign : {false, true})
    EXPECT_EQ(answer(R"({"NoSuchRequest":{}})", sign),
              (Answer{400, "NoSuchResponse", "unknown transaction NoSuch"}));
  EXPECT_EQ(answer(R"({"GetGroupRequest":{"group":5}})", false),
            (Answer{401, "GetGroupResponse",
                    "request is not signed (Recrypt-Signature header missing)"}));
  EXPECT_EQ(answer(R"({"RecryptDataRequest":{}})", false),
            (Answer{401, "RecryptDataResponse",
                    "request is not signed (Recrypt-Signature header missing)"}));
  EXPECT_EQ(answer(R"({"PublishProfileRequest":{}})", false),
            (Answer{400, "PublishProfileResponse", "message: field \"profile\" is missing"}))
      << "PublishProfile reads its profile first: the profile holds the key that signs it";
  EXPECT_EQ(std::get<0>(answer(R"({"HelloRequest":{}})", false)), 201);
  EXPECT_EQ(std::get<0>(answer(R"({"GetProfileRequest":{"account":"alice@example.com"}})", false)),
            201);
  EXPECT_EQ(std::get<0>(answer(R"({"GetGroupRequest":{"group":"friends@example.com"}})", true)),
            404);
  EXPECT_EQ(std::get<0>(answer(R"({"ReadAuditRequest":{"group":"friends@example.com"}})", true)),
            404);
  expect_alive();
}

TEST_F(Robustness, HugeBodyIs413) {
  std::string big = "{\"HelloRequest\":{\"pad\":\"" + std::string(200000, 'a') + "\"}}";
  auto c = client(*alice);
  int status = 0;
  try {
    status = c.post_raw(big, "").status;
  } catch (const service::ServiceError&) {
    status = 413;  // the server may close before the client finished sending
  }
  EXPECT_EQ(status, 413);
  expect_alive();
}

TEST_F(Robustness, WrongPathAndMethod) {
  RawSocket s(server.port());
  ASSERT_TRUE(s.connected());
  s.send("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(s.read_all().find("404"), std::string::npos);
  RawSocket s2(server.port());
  s2.send("GET /.well-known/recrypt/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(s2.read_all().find("400"), std::string::npos);
  expect_alive();
}

TEST_F(Robustness, SlowlorisIsCutOff) {
  RawSocket s(server.port());
  ASSERT_TRUE(s.connected());
  auto start = std::chrono::steady_clock::now();
  s.send("POST /.well-known/recrypt/ HTTP/1.1\r\nHost: x\r\n");
  bool cut = false;
  // One header byte every 100 ms would keep a naive server waiting forever.
  for (int i = 0; i < 40 && !cut; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cut = !s.send("X");
  }
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(cut);
  EXPECT_LT(elapsed, std::chrono::seconds(4));
  expect_alive();
}

TEST_F(Robustness, IdleConnectionIsClosedAtTheDeadline) {
  RawSocket s(server.port());
  ASSERT_TRUE(s.connected());
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(s.read_all(), "");  // returns when the server closes
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  expect_alive();
}

TEST_F(Robustness, RandomBytesDoNotHurt) {
  std::mt19937 rng(42);
  for (int i = 0; i < 20; ++i) {
    RawSocket s(server.port());
    ASSERT_TRUE(s.connected());
    std::string junk(1 + rng() % 4000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    s.send(junk);
  }
  // Plausible HTTP with a broken chunked body and a lying Content-Length.
  {
    RawSocket s(server.port());
    s.send(
        "POST /.well-known/recrypt/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
        "chunked\r\n\r\nZZZ\r\n");
    s.read_all();
  }
  {
    RawSocket s(server.port());
    s.send(
        "POST /.well-known/recrypt/ HTTP/1.1\r\nHost: x\r\nContent-Length: "
        "99999999999999999999\r\n\r\n");
    s.read_all();
  }
  expect_alive();
  EXPECT_FALSE(server.exited());
}

TEST_F(Robustness, ManyConnectionsAtOnce) {
  // 200 connections open at once, each then answered: held open, none starves the others.
  std::vector<std::unique_ptr<RawSocket>> sockets;
  for (int i = 0; i < 200; ++i) {
    sockets.push_back(std::make_unique<RawSocket>(server.port()));
    ASSERT_TRUE(sockets.back()->connected()) << "connection " << i;
  }
  const std::string body = R"({"HelloRequest":{}})";
  const std::string request =
      "POST /.well-known/recrypt/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  for (auto& s : sockets) ASSERT_TRUE(s->send(request));
  int answered = 0;
  for (auto& s : sockets) answered += s->read_all().rfind("HTTP/1.1 201", 0) == 0 ? 1 : 0;
  EXPECT_EQ(answered, 200);
  expect_alive();
}

}  // namespace
}  // namespace recrypt::test
