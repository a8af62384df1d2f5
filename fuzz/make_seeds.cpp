// Writes the seed corpus of every fuzz target: make_seeds <folder> creates
// <folder>/<target>/seed-N files, small valid inputs the fuzzer starts from.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "agent/escrow.hpp"
#include "fuzz/fixed_keys.hpp"
#include "pkcs11/pkcs11_backend.hpp"
#include "pkcs11/sealed_blob.hpp"
#include "pkcs11/share_wrap.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "protocol/service/envelope.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/request_signature.hpp"
#include "protocol/udf.hpp"
#include "mail/encrypted_message.hpp"
#include "tpm/marshal.hpp"
#include "tpm/sealed_wrap.hpp"
#include "tpm/share_wrap.hpp"
#include "tpm/templates.hpp"

namespace {

using namespace recrypt;
namespace fs = std::filesystem;

fs::path root;

void seed(const std::string& target, int n, std::string_view content) {
  fs::create_directories(root / target);
  std::ofstream(root / target / ("seed-" + std::to_string(n)), std::ios::binary)
      .write(content.data(), static_cast<std::streamsize>(content.size()));
}

// A DNS response to "_recrypt._tcp.example.test SRV" with two answers, the second target
// compressed against the first.
std::string srv_response() {
  std::string m("\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00", 12);
  std::string qname(
      "\x08_recrypt\x04_tcp\x07"
      "example\x04test\x00",
      28);
  m += qname + std::string("\x00\x21\x00\x01", 4);
  std::string target("\x03svc\xc0\x1a", 6);  // svc.example.test (example.test is at offset 26)
  m += std::string("\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x0c\x00\x00\x00\x0a\x20\xfb", 18) +
       target;
  m += std::string(
      "\xc0\x0c\x00\x21\x00\x01\x00\x00\x0e\x10\x00\x08\x00\x01\x00\x05\x01\xbb\xc0\x3e",
      20);  // svc.example.test again (offset 62)
  return m;
}

std::string jcd_file(std::size_t payload, const jcd::FileInfo& info = {}) {
  MemorySink sink;
  jcd::Encryptor enc(
      sink,
      {{jwe::RecipientKey{fuzz::group_secret().public_point(),
                          {},
                          jwe::Locator{"g@example.com", "GID", "https://s.example/"}}}},
      info);
  enc.update(Bytes(payload, 0x61));
  enc.finish();
  return std::string(as_chars(sink.data()));
}

std::string bare_segments(std::size_t payload) {
  Aes256Gcm gcm(fuzz::payload_key());
  std::string out;
  std::uint64_t counter = 0;
  std::size_t left = payload;
  do {
    std::size_t take = std::min(left, jcd::kSegmentSize);
    left -= take;
    bool last = left == 0;
    Bytes plain(take, 0x62), sealed(take);
    auto tag = gcm.seal(jcd::segment_nonce(counter++, last), jcd::HeaderDigest{}, plain, sealed);
    out.append(as_chars(sealed));
    out.append(reinterpret_cast<const char*>(tag.data()), tag.size());
  } while (left > 0);
  return out;
}

// A service request as fuzz_service_request takes it: signature header, newline, body.
std::string signed_request(std::string_view name, const Json& body) {
  std::string text = service::serialize_request(name, body);
  return service::sign_request(text, jws::software_signer(fuzz::signing_key()), "KID",
                               "https://s.example/") +
         "\n" + text;
}

// A TPM2B_ECC_PARAMETER of a coordinate.
TPM2B_ECC_PARAMETER tpm_coordinate(const Bytes& v) {
  TPM2B_ECC_PARAMETER p{};
  p.size = static_cast<std::uint16_t>(v.size());
  std::copy(v.begin(), v.end(), p.buffer);
  return p;
}

// A TPM2B_PRIVATE as a TPM returns it: opaque bytes (here 0xA5 repeated).
TPM2B_PRIVATE tpm_private(std::size_t n) {
  TPM2B_PRIVATE p{};
  p.size = static_cast<std::uint16_t>(n);
  std::fill(p.buffer, p.buffer + n, 0xA5);
  return p;
}

// A device key's public area, as the TPM fills in the template.
TPM2B_PUBLIC tpm_device_key(backend::KeyPurpose purpose, const Point& point) {
  TPM2B_PUBLIC pub = tpm::device_key_template(purpose);
  pub.publicArea.unique.ecc.x = tpm_coordinate(point.x_bytes());
  pub.publicArea.unique.ecc.y = tpm_coordinate(point.y_bytes());
  return pub;
}

// Standard base64 in 64-character lines, as PEM has it.
std::string pem(const std::string& label, ByteView der) {
  std::string b64 = base64url::encode(der);
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4 != 0) b64 += '=';
  std::string out = "-----BEGIN " + label + "-----\n";
  for (std::size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END " + label + "-----\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <corpus folder>\n");
    return 2;
  }
  root = argv[1];
  Point a = fuzz::group_secret().public_point();
  Point b = Scalar::random(Curve::p256()).public_point();
  jwe::Locator loc{"accounting@example.com", "MB2G-GRP", "https://recrypt.example/"};

  seed(
      "jwe_envelope", 1,
      jwe::encrypt(as_bytes("hello"), {{jwe::RecipientKey{a, {}, loc}}}, "text/plain").serialize());
  seed("jwe_envelope", 2,
       jwe::encrypt(as_bytes("x"),
                    {{jwe::RecipientKey{a, {}, {}}}, {jwe::RecipientKey{b, "kid-b", {}}}})
           .serialize());
  seed("jwe_envelope", 3,
       jwe::encrypt(as_bytes("y"), {{jwe::RecipientKey{a, {}, loc}, jwe::RecipientKey{b, {}, loc}}})
           .serialize());
  {
    // The layout a stock library writes for one recipient: epk in the protected header.
    Json doc =
        Json::parse(jwe::encrypt(as_bytes("z"), {{jwe::RecipientKey{a, {}, {}}}}).serialize());
    Json prot{{"enc", "A256GCM"}, {"epk", doc["recipients"][0]["header"]["epk"]}};
    doc["protected"] = base64url::encode(as_bytes(prot.dump()));
    doc["recipients"][0]["header"].erase("epk");
    doc["recipients"][0]["header"]["apu"] = "QWxpY2U";
    seed("jwe_envelope", 4, doc.dump());
  }

  std::string file = jcd_file(10, jcd::FileInfo{"a.txt", "text/plain", "2026-11-22T00:00:00Z"});
  seed("jcd_header", 1, file.substr(0, file.find('\n', file.find('\n') + 1) + 1));
  seed(
      "jcd_header", 2,
      R"({"payload_key":"QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI","segment_size":65536,"name":"a.txt"})");
  seed("jcd_header", 3, "recrypt.jcd/v2\n{}\n");

  seed("jcd_decrypt", 1, jcd_file(0));
  seed("jcd_decrypt", 2, jcd_file(100));
  seed("jcd_decrypt", 3, bare_segments(0));
  seed("jcd_decrypt", 4, bare_segments(100));
  seed("jcd_decrypt", 5, bare_segments(jcd::kSegmentSize + 10));

  Scalar k = fuzz::signing_key();
  seed(
      "jws", 1,
      jws::sign_compact(Json{{"kid", "k"}}, as_bytes(R"({"iss":"joe"})"), jws::software_signer(k)));
  seed("jws", 2,
       jws::sign_detached(Json{{"aud", "svc"}, {"nonce", "n"}}, as_bytes("payload"),
                          jws::software_signer(k)));
  seed("jws", 3,
       "eyJhbGciOiJFUzI1NiJ9."
       "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnV"
       "lfQ."
       "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");

  seed("jwk", 1, jwk::from_public(a).dump());
  {
    auto priv = jwk::from_private(k).dump();
    seed("jwk", 2, std::string(priv.begin(), priv.end()));
  }
  seed(
      "jwk", 3,
      R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})");

  seed("base64url", 1, "Zm9vYmFy");
  seed("base64url", 2, "-_-_QQ");
  seed("base64url", 3, base64url::encode(as_bytes("any carnal pleasure.")));

  seed("udf", 1, "MDDK-7N6A-727A-JZNO-STRX");
  seed("udf", 2, "mddk7n6a727ajznostrxxks7djaf");
  seed("udf", 3, udf::fingerprint("text/plain", as_bytes("UDF Data Value"), 200));

  // mail_message: the first byte picks --protect-subject (fuzz/mail_message.cpp).
  const std::string plain_mail =
      "From: a@example.com\r\nTo: list@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative;\r\n boundary=\"x\"\r\n\r\n--x\r\n"
      "Content-Type: text/plain\r\n\r\nhi\r\n--x--\r\n";
  seed("mail_message", 1, "\x01" + plain_mail);
  seed("mail_message", 2, "\x00From: a@example.com\nSubject: (no body)\n");
  seed("mail_message", 3,
       mail::sealed_message(mail::seal_plan(plain_mail, true), as_bytes(plain_mail),
                            "=_recrypt_seed"));
  // age-plugin-recrypt: the recipient and stanza of tests/vectors/age/recrypt.json.
  seed("age_recipient", 1,
       "age1recrypt1qypl9e0c9wtmuh6s3z293qkzfuqm398ug3tjulumc3qlp0hzqkea0yqsw3jkzm2qv4uxzmtsd3jjucm"
       "0d5j563zvfqknw5jv2ckngk2cfqk5u36kgck564pj2vkng3zp2vknw3jjgsk4sjcqyp58garswvaz7tmjv43hy7tsws"
       "hx27rpd4cxcefwvdhk6w3cxs6rx7nsl05");
  seed("age_recipient", 2, "AGE-PLUGIN-RECRYPT-1QYJ89J42");
  seed("age_stanza", 1,
       "-> add-identity AGE-PLUGIN-RECRYPT-1QYJ89J42\n\n"
       "-> recipient-stanza 0 X25519 abc\nAAAA\n"
       "-> recipient-stanza 0 recrypt MBG3-HRSS-UPC6-OCBB-7SUD-XJIS-UFOY "
       "ArKEqATUeWzYXzDFI8DK2sPBXTcI3PL96au15bRzLBdy "
       "EHRlYW1AZXhhbXBsZS5jb20lTURMSC03UkxWLTRZWEgtTkdWRi1NVDJTLTREQVMtN0ZSRC1YSwAgaHR0cHM6Ly9yZWN"
       "yeXB0LmV4YW1wbGUuY29tOjg0NDM\n"
       "Ef2eLMJmvw6jg9CZdktXBfwZcFLTIT8H\n"
       "-> done\n\n-> ok\n\n");

  seed("file_identity", 1, as_chars(a.spki_der()));
  seed("file_identity", 2, pem("PUBLIC KEY", a.spki_der()));
  seed("file_identity", 3,
       service::GroupProfile{"g@example.com",
                             k.public_point(),
                             a,
                             {},
                             "https://recrypt.example/",
                             "2026-01-01T00:00:00Z"}
           .sign(jws::software_signer(k)));
  seed("file_identity", 4, "any other bytes\n");
  seed("file_identity", 5, pem("EC PRIVATE KEY", as_bytes("not decoded")));

  Point t = Scalar::random(Curve::p256()).public_point();
  seed("service_request", 1,
       signed_request("RecryptData",
                      service::RecryptDataRequest{"g@example.com", "MB2G-KEY", t}.to_json()));
  seed("service_request", 2,
       signed_request("GetGroup", service::GetGroupRequest{"g@example.com"}.to_json()));
  seed("service_request", 3,
       signed_request("ReadAudit", service::ReadAuditRequest{"g@example.com", 5, 10}.to_json()));
  seed("service_request", 4,
       "\n" + service::serialize_request("Hello", service::HelloRequest{}.to_json()));
  seed("service_request", 5,
       signed_request(
           "UpdateMember",
           Json{{"group", "g@example.com"}, {"member", "MB2G-M"}, {"status", "SUSPENDED"}}));
  {
    // A personal profile whose device proves possession, so that the fuzzer starts past the
    // proofs; signed by the key the request's signature is checked against.
    Scalar device = Scalar::from_bytes(Curve::p256(), Bytes(32, 0x22));
    service::PersonalProfile profile{
        "alice@example.com", k.public_point(), {}, "2026-11-22T00:00:00Z"};
    profile.devices.push_back(
        service::Device{"laptop", "soft", b, device.public_point(), std::nullopt, {}});
    profile.devices.back().prove(profile.id(), jws::software_signer(device));
    seed("service_request", 6,
         signed_request(
             "PublishProfile",
             service::PublishProfileRequest{profile.sign(jws::software_signer(k))}.to_json()));
  }
  seed("service_request", 7,
       signed_request("GetAdminKeys", service::GetAdminKeysRequest{"g@example.com"}.to_json()));
  seed("service_request", 8,
       signed_request("AddMember",
                      Json{{"group", "g@example.com"},
                           {"entries", Json::array({Json{{"member", "MB2G-M"},
                                                         {"admin_keys", {{"MB2G-D", "{}"}}}}})},
                           {"records", Json::array()}}));
  seed("service_request", 9,
       signed_request(
           "RecryptBatch",
           service::RecryptBatchRequest{
               {{"g@example.com", "MB2G-KEY", t}, {"h@example.com", "MB2G-KEZ", t}}, "MB2G-DOC"}
               .to_json()));
  seed("srv_answer", 1, srv_response());
  seed("srv_answer", 2, srv_response().substr(0, 40));

  seed("agent_rpc", 1, agent_rpc::make_request(1, "agent.status", Json::object()));
  seed("agent_rpc", 2,
       agent_rpc::make_request(7, "group.add",
                               Json{{"group", "g@example.com"},
                                    {"member", "bob@example.com"},
                                    {"confirm", true},
                                    {"pin", nullptr}}));
  seed("agent_rpc", 3,
       R"({"jsonrpc":"2.0","id":"x-1","method":"document.open","params":{"envelope":"{}"}})");
  seed("agent_rpc", 4, R"({"jsonrpc":"2.0","method":"agent.lock"})");
  // Answers, for the client's side.
  SecureString answer =
      agent_rpc::make_result(1, Json{{"version", "0.1.0"}, {"backends", Json::array()}});
  seed("agent_rpc", 5, std::string_view(answer.data(), answer.size()));
  answer = agent_rpc::make_error(1, agent_rpc::Code::not_found, "no such group",
                                 Json{{"errc", "no-such-key"}});
  seed("agent_rpc", 6, std::string_view(answer.data(), answer.size()));

  {
    using tpm::KeyBlob;
    Point device = Scalar::from_bytes(Curve::p256(), Bytes(32, 0x44)).public_point();
    seed("tpm_blob", 1,
         as_chars(tpm::encode_key_blob(KeyBlob{
             backend::KeyPurpose::encryption, false, "device-enc",
             tpm_device_key(backend::KeyPurpose::encryption, device), tpm_private(126), false})));
    seed("tpm_blob", 2,
         as_chars(tpm::encode_key_blob(KeyBlob{backend::KeyPurpose::signing, false, "device-sign",
                                               tpm_device_key(backend::KeyPurpose::signing, device),
                                               tpm_private(126), true})));
    TPM2B_PUBLIC sealed = tpm::sealed_object_template();
    sealed.publicArea.unique.keyedHash.size = 32;
    std::fill(sealed.publicArea.unique.keyedHash.buffer,
              sealed.publicArea.unique.keyedHash.buffer + 32, 0x5A);
    seed("tpm_blob", 3,
         as_chars(tpm::encode_sealed_blob(
             tpm::SealedBlob{"group master key", sealed, tpm_private(96)})));
    auto share = tpm::wrap_share_for_tpm(tpm::TpmParentPublic{device}, fuzz::group_secret()).data;
    seed("tpm_blob", 4, as_chars(share));
    seed("tpm_blob", 5, as_chars(tpm::TpmParentPublic{device}.to_tpm2b_public()));
    seed("tpm_blob", 6,
         as_chars(tpm::marshal_public(tpm_device_key(backend::KeyPurpose::signing, device))));
    seed("tpm_blob", 7,
         as_chars(tpm::wrap_secret_for_tpm(tpm::TpmParentPublic{device}, "group key",
                                           fuzz::group_secret().to_bytes())
                      .data));
  }

  {
    Point token = fuzz::token_key().public_point();
    seed("pkcs11_blob", 1,
         as_chars(pkcs11::seal_to_token_key(token,
                                            "pkcs11:token=fuzz;id=%01%02;object=seal;type=private",
                                            "group master key", Bytes(32, 0x66))));
    seed("pkcs11_blob", 2,
         as_chars(pkcs11::seal_to_token_key(token, "pkcs11:token=fuzz;object=seal", "", {})));
    seed("pkcs11_blob", 3, as_chars(pkcs11::encode_kwp_share(token, fuzz::group_secret())));
    seed("pkcs11_blob", 4, "pkcs11:token=fuzz;id=%a1%b2;object=dev-enc;type=private");
    seed(
        "pkcs11_blob", 5,
        as_chars(pkcs11::wrap_secret_for_pkcs11(token, "group key", fuzz::group_secret().to_bytes())
                     .data));
  }

  {
    // An escrow of a group whose signing key is fuzz::signing_key() and key a
    // fuzz::group_secret(), sealed to fuzz::token_key(); the second names a recovery code.
    service::GroupProfile doc{"fuzz@example.com",
                              fuzz::signing_key().public_point(),
                              fuzz::group_secret().public_point(),
                              {},
                              "http://127.0.0.1:1",
                              "2026-01-01T00:00:00Z"};
    agent::EscrowSecrets secrets{
        doc.sign(jws::software_signer(fuzz::signing_key())), fuzz::signing_key(), {}};
    secrets.keys.push_back(fuzz::group_secret());
    Point recovery = fuzz::token_key().public_point();
    agent::EscrowFile escrow = agent::seal_escrow(
        secrets, recovery, agent::DeviceRecovery{udf::key_fingerprint(recovery)});
    seed("escrow_file", 1, escrow.serialize());
    escrow.recovery = agent::new_typed_recovery(true);
    seed("escrow_file", 2, escrow.serialize());
  }
  return 0;
}
