// Hostile input to every parser of the protocol library: malformed and deeply nested JSON,
// wrong curves and points, wrong lengths and types, oversized documents, algorithms and
// header parameters we do not do. Each is refused with the right Errc, quickly.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <chrono>

#include "protocol/base64url.hpp"
#include "protocol/jcd.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jwk.hpp"
#include "protocol/jws.hpp"
#include "tests/unit/support.hpp"

namespace recrypt {
namespace {

using Clock = std::chrono::steady_clock;

const Curve& p256() { return Curve::p256(); }

std::string b64(std::string_view s) { return base64url::encode(as_bytes(s)); }

class Hostile : public ::testing::Test {
 protected:
  Scalar a = Scalar::random(p256());
  // A valid envelope, as JSON to mutate.
  Json envelope = Json::parse(
      jwe::encrypt(
          as_bytes("secret"),
          {{jwe::RecipientKey{a.public_point(), {}, jwe::Locator{"g", "id", "https://s/"}}}})
          .serialize());

  std::optional<Errc> parse_code(const Json& doc) {
    return test::error_of([&] { jwe::Envelope::parse(doc.dump()); });
  }
  Json& epk(Json& doc) { return doc["recipients"][0]["header"]["epk"]; }
};

TEST_F(Hostile, ValidEnvelopeParses) {
  EXPECT_EQ(parse_code(envelope), std::nullopt);
  EXPECT_EQ(as_chars(jwe::open_with_private_key(jwe::Envelope::parse(envelope.dump()), a)),
            "secret");
}

TEST_F(Hostile, MalformedJson) {
  for (std::string_view text :
       {"", " ", "not json", "{", "{\"protected\":", "[]", "null", "1", "\"s\"", "{\"a\":1,}",
        "{'a':1}", "{\"a\":1} {\"b\":2}", "{\"a\":01}", "{\"a\":1 /* c */}"}) {
    auto code = test::error_of([&] { jwe::Envelope::parse(text); });
    EXPECT_EQ(code, std::optional<Errc>(Errc::malformed)) << text;
  }
  // Invalid UTF-8 in a string.
  EXPECT_ERRC(jwe::Envelope::parse("{\"protected\":\"\xff\xfe\"}"), Errc::malformed);
  EXPECT_ERRC(jwe::Envelope::parse(std::string("{\"protected\":\"a\0b\"}", 19)), Errc::malformed);
}

TEST_F(Hostile, DeepNestingRefusedQuickly) {
  const std::size_t depth = 100000;
  std::vector<std::string> docs = {std::string(depth, '['),
                                   std::string(depth, '[') + std::string(depth, ']'),
                                   [&] {
                                     std::string s;
                                     for (std::size_t i = 0; i < depth; ++i) s += "{\"a\":";
                                     return s;
                                   }(),
                                   "{\"protected\":" + std::string(depth, '[')};
  for (const std::string& doc : docs) {
    auto start = Clock::now();
    EXPECT_ERRC(jwe::Envelope::parse(doc), Errc::too_large);
    EXPECT_ERRC(json::parse(doc, 1 << 20, "test"), Errc::too_large);
    EXPECT_ERRC(jcd::Metadata::from_json(as_bytes(doc.substr(0, 4000))), Errc::too_large);
    EXPECT_ERRC(jwk::to_private(SecretJson()), Errc::malformed);
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(2));
  }
  // Nesting within the limit is fine, past it is not.
  EXPECT_NO_THROW(json::parse(std::string(20, '[') + std::string(20, ']'), 1000, "test"));
  EXPECT_ERRC(json::parse(std::string(40, '[') + std::string(40, ']'), 1000, "test"),
              Errc::too_large);
  // Inside a JWS header and a protected header.
  std::string deep = b64(std::string(1000, '['));
  EXPECT_ERRC(jws::unverified_header(deep + ".e30.AA"), Errc::too_large);
  Json doc = envelope;
  doc["protected"] = deep;
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::too_large));
}

TEST_F(Hostile, OversizedRefusedQuickly) {
  auto start = Clock::now();
  Json doc = envelope;
  doc["recipients"][0]["header"]["kid"] = std::string(jwe::kMaxEnvelopeSize, 'K');
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::too_large));
  // A big but permitted field is fine; the size limit is on the whole document.
  doc["recipients"][0]["header"]["kid"] = std::string(jwe::kMaxEnvelopeSize / 2, 'K');
  EXPECT_EQ(parse_code(doc), std::nullopt);
  std::string huge(64 << 20, ' ');
  EXPECT_ERRC(jwe::Envelope::parse(huge), Errc::too_large);
  EXPECT_ERRC(jws::verify_compact(huge, a.public_point()), Errc::too_large);
  EXPECT_ERRC(jcd::Metadata::from_json(as_bytes(huge)), Errc::too_large);
  // A .jcd whose envelope line never ends.
  std::string jcd_text = "recrypt.jcd/v1\n" + std::string(8 << 20, '{');
  MemorySource source(as_bytes(jcd_text));
  BufferedInput in(source);
  EXPECT_ERRC(jcd::read_header(in), Errc::too_large);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST_F(Hostile, WrongCurvesAndKeyTypes) {
  for (const char* crv : {"P-384", "P-521", "secp256k1", "X25519", "p-256", ""}) {
    Json doc = envelope;
    epk(doc)["crv"] = crv;
    EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported)) << crv;
  }
  for (const char* kty : {"OKP", "RSA", "oct", "ec"}) {
    Json doc = envelope;
    epk(doc)["kty"] = kty;
    EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported)) << kty;
  }
}

TEST_F(Hostile, PointsNotOnTheCurve) {
  Json doc = envelope;
  Bytes y = base64url::decode(epk(doc)["y"].get<std::string>());
  y[31] ^= 1;
  epk(doc)["y"] = base64url::encode(y);
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::invalid_key));
  doc = envelope;
  epk(doc)["x"] = base64url::encode(Bytes(32, 0));
  epk(doc)["y"] = base64url::encode(Bytes(32, 0));
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::invalid_key));
  // Coordinates at or above the field prime.
  doc = envelope;
  epk(doc)["x"] = base64url::encode(Bytes(32, 0xff));
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::invalid_key));
}

TEST_F(Hostile, CoordinateLengths) {
  for (std::size_t n : {0u, 1u, 31u, 33u, 64u}) {
    for (const char* c : {"x", "y"}) {
      Json doc = envelope;
      Bytes v = base64url::decode(epk(doc)[c].get<std::string>());
      v.resize(n, 0);
      epk(doc)[c] = base64url::encode(v);
      EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::invalid_key)) << c << " " << n;
    }
  }
  // A leading zero byte added to a valid coordinate is still the wrong length.
  Json doc = envelope;
  Bytes x = base64url::decode(epk(doc)["x"].get<std::string>());
  x.insert(x.begin(), 0);
  epk(doc)["x"] = base64url::encode(x);
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::invalid_key));
}

TEST_F(Hostile, WrongTypesAndMissingFields) {
  auto expect = [&](const std::function<void(Json&)>& mutate, Errc want, const char* what) {
    Json doc = envelope;
    mutate(doc);
    EXPECT_EQ(parse_code(doc), std::optional<Errc>(want)) << what;
  };
  expect([](Json& d) { d.erase("protected"); }, Errc::malformed, "no protected");
  expect([](Json& d) { d["protected"] = 5; }, Errc::malformed, "protected number");
  expect([](Json& d) { d["protected"] = "e30="; }, Errc::malformed, "protected padded");
  expect([](Json& d) { d["protected"] = b64("not json"); }, Errc::malformed, "protected not JSON");
  expect([](Json& d) { d["protected"] = b64("[\"enc\"]"); }, Errc::malformed, "protected array");
  expect([](Json& d) { d["protected"] = b64("{}"); }, Errc::malformed, "no enc");
  expect([](Json& d) { d["protected"] = b64("{\"enc\":5}"); }, Errc::malformed, "enc number");
  expect([](Json& d) { d.erase("recipients"); }, Errc::malformed, "no recipients");
  expect([](Json& d) { d["recipients"] = Json::object(); }, Errc::malformed, "recipients object");
  expect([](Json& d) { d["recipients"] = Json::array(); }, Errc::malformed, "recipients empty");
  expect([](Json& d) { d["recipients"] = Json::array({1}); }, Errc::malformed, "recipient number");
  expect([](Json& d) { d["recipients"][0]["header"] = "h"; }, Errc::malformed, "header string");
  expect([](Json& d) { d["recipients"][0].erase("header"); }, Errc::malformed, "no header, no alg");
  expect([](Json& d) { d["recipients"][0]["header"].erase("alg"); }, Errc::malformed, "no alg");
  expect([](Json& d) { d["recipients"][0]["header"]["alg"] = 7; }, Errc::malformed, "alg number");
  expect([](Json& d) { d["recipients"][0]["header"].erase("epk"); }, Errc::malformed, "no epk");
  expect([](Json& d) { d["recipients"][0]["header"]["epk"] = "k"; }, Errc::malformed, "epk string");
  expect([](Json& d) { d["recipients"][0]["header"]["epk"]["x"] = 1; }, Errc::malformed,
         "x number");
  expect([](Json& d) { d["recipients"][0]["header"]["epk"].erase("y"); }, Errc::malformed, "no y");
  expect([](Json& d) { d["recipients"][0]["header"]["epk"]["x"] = "***"; }, Errc::malformed,
         "x not b64");
  expect([](Json& d) { d["recipients"][0]["header"]["kid"] = 1; }, Errc::malformed, "kid number");
  expect([](Json& d) { d["recipients"][0]["header"]["recrypt"] = "r"; }, Errc::malformed,
         "locator string");
  expect([](Json& d) { d["recipients"][0]["header"]["recrypt"].erase("service"); }, Errc::malformed,
         "no service");
  expect([](Json& d) { d["recipients"][0]["header"]["apu"] = 1; }, Errc::malformed, "apu number");
  expect([](Json& d) { d["recipients"][0]["header"]["apv"] = "a="; }, Errc::malformed,
         "apv padded");
  expect([](Json& d) { d["recipients"][0].erase("encrypted_key"); }, Errc::malformed,
         "no encrypted_key");
  expect([](Json& d) { d["recipients"][0]["encrypted_key"] = 1; }, Errc::malformed,
         "encrypted_key number");
  expect([](Json& d) { d["recipients"][0]["encrypted_key"] = base64url::encode(Bytes(39, 1)); },
         Errc::malformed, "encrypted_key 39 bytes");
  expect([](Json& d) { d["recipients"][0]["encrypted_key"] = base64url::encode(Bytes(48, 1)); },
         Errc::malformed, "encrypted_key 48 bytes");
  expect([](Json& d) { d["iv"] = base64url::encode(Bytes(11, 1)); }, Errc::malformed,
         "iv 11 bytes");
  expect([](Json& d) { d["iv"] = base64url::encode(Bytes(16, 1)); }, Errc::malformed,
         "iv 16 bytes");
  expect([](Json& d) { d.erase("iv"); }, Errc::malformed, "no iv");
  expect([](Json& d) { d["tag"] = base64url::encode(Bytes(15, 1)); }, Errc::malformed,
         "tag 15 bytes");
  expect([](Json& d) { d["tag"] = Json::array(); }, Errc::malformed, "tag array");
  expect([](Json& d) { d.erase("ciphertext"); }, Errc::malformed, "no ciphertext");
  expect([](Json& d) { d["unprotected"] = 1; }, Errc::malformed, "unprotected number");
}

TEST_F(Hostile, RecipientCounts) {
  Json doc = envelope;
  Json one = doc["recipients"][0];
  doc["recipients"] = Json::array();
  for (std::size_t i = 0; i < jwe::kMaxRecipients + 1; ++i) doc["recipients"].push_back(one);
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::malformed));
  doc["recipients"].erase(doc["recipients"].size() - 1);
  EXPECT_EQ(parse_code(doc), std::nullopt);

  // All-of recipients: 2 to 16 parts.
  Json allof = envelope;
  Json part = allof["recipients"][0]["header"];
  part.erase("alg");
  auto with_parts = [&](std::size_t n) {
    Json d = allof;
    Json header{{"alg", jwe::kAlgAllOf}, {"parts", Json::array()}};
    for (std::size_t i = 0; i < n; ++i) header["parts"].push_back(part);
    d["recipients"][0]["header"] = header;
    return d;
  };
  EXPECT_EQ(parse_code(with_parts(1)), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(parse_code(with_parts(17)), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(parse_code(with_parts(2)), std::nullopt);
  EXPECT_EQ(parse_code(with_parts(16)), std::nullopt);
  Json bad = with_parts(2);
  bad["recipients"][0]["header"]["parts"] = "p";
  EXPECT_EQ(parse_code(bad), std::optional<Errc>(Errc::malformed));
  bad["recipients"][0]["header"]["parts"] = Json::array({1, 2});
  EXPECT_EQ(parse_code(bad), std::optional<Errc>(Errc::malformed));
}

TEST_F(Hostile, AlgorithmsAndParametersWeDoNotDo) {
  for (const char* enc : {"A128GCM", "A256CBC-HS512", "none", ""}) {
    Json doc = envelope;
    doc["protected"] = b64(Json{{"enc", enc}}.dump());
    EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported)) << enc;
  }
  Json doc = envelope;
  doc["protected"] = b64(R"({"enc":"A256GCM","zip":"DEF"})");
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported));
  doc = envelope;
  doc["unprotected"] = Json{{"zip", "DEF"}};
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported));
  doc = envelope;
  doc["protected"] = b64(R"({"enc":"A256GCM","crit":["exp"],"exp":1})");
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported));
  doc = envelope;
  doc["aad"] = b64("extra");
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::unsupported));

  // Someone else's key-management algorithm: the envelope parses, the recipient is kept but
  // never opened: a reader trying recipients skips it, and asking for it alone says why.
  doc = envelope;
  doc["recipients"][0]["header"]["alg"] = "RSA-OAEP-256";
  jwe::Envelope e = jwe::Envelope::parse(doc.dump());
  EXPECT_FALSE(e.recipients[0].known());
  EXPECT_ERRC(jwe::open_with_private_key(e, a), Errc::decrypt_failed);
  EXPECT_FALSE(jwe::try_unwrap(e.recipients[0], {a.public_point()}).has_value());
  EXPECT_FALSE(jwe::try_unwrap(e.recipients[0], {}).has_value());
  EXPECT_EQ(test::message_of([&] { jwe::unwrap_candidates(e.recipients[0], {}); }),
            "JWE recipient algorithm \"RSA-OAEP-256\" is not supported");
  EXPECT_ERRC(jwe::unwrap_candidates(e.recipients[0], {}), Errc::unsupported);
  // ECDH-ES without key wrap (direct agreement) is not ours either.
  doc["recipients"][0]["header"]["alg"] = "ECDH-ES";
  EXPECT_FALSE(jwe::Envelope::parse(doc.dump()).recipients[0].known());
}

TEST_F(Hostile, HeaderSetsMustBeDisjoint) {
  auto message = [&](const Json& doc) {
    return test::message_of([&] { jwe::Envelope::parse(doc.dump()); });
  };
  // Each pair of the three header sets, with the same value or another.
  Json doc = envelope;
  doc["unprotected"] = Json{{"enc", "A256GCM"}};
  EXPECT_EQ(
      message(doc),
      "JWE header parameter \"enc\" is in both the shared unprotected and the protected header");
  doc = envelope;
  doc["unprotected"] = Json{{"kid", "SOME-ONE-ELSE"}};
  EXPECT_EQ(message(doc),
            "JWE header parameter \"kid\" is in both the per-recipient and the shared unprotected "
            "header");
  doc = envelope;
  doc["unprotected"] = Json{{"alg", jwe::kAlgEcdhEs}};
  EXPECT_EQ(message(doc),
            "JWE header parameter \"alg\" is in both the per-recipient and the shared unprotected "
            "header");
  EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::malformed));
  doc = envelope;
  doc["recipients"][0]["header"]["enc"] = "A256GCM";
  EXPECT_EQ(message(doc),
            "JWE header parameter \"enc\" is in both the per-recipient and the protected header");
  doc = envelope;
  doc["protected"] = b64(R"({"enc":"A256GCM","alg":"ECDH-ES+A256KW"})");
  EXPECT_EQ(message(doc),
            "JWE header parameter \"alg\" is in both the per-recipient and the protected header");
  // Only in a later recipient.
  doc = envelope;
  doc["unprotected"] = Json{{"cty", "text/plain"}};
  doc["recipients"].push_back(doc["recipients"][0]);
  EXPECT_EQ(parse_code(doc), std::nullopt);
  doc["recipients"][1]["header"]["cty"] = "text/plain";
  EXPECT_EQ(message(doc),
            "JWE header parameter \"cty\" is in both the per-recipient and the shared unprotected "
            "header");
  // Parameters spread over the three without overlap are fine, and found.
  doc = envelope;
  Json header = doc["recipients"][0]["header"];
  doc["protected"] = b64(Json{{"enc", "A256GCM"}, {"alg", jwe::kAlgEcdhEs}}.dump());
  doc["unprotected"] = Json{{"epk", header["epk"]}};
  doc["recipients"][0]["header"] = Json{{"kid", header["kid"]}, {"recrypt", header["recrypt"]}};
  jwe::Envelope e = jwe::Envelope::parse(doc.dump());
  EXPECT_EQ(e.recipients[0].alg, jwe::kAlgEcdhEs);
  EXPECT_TRUE(e.recipients[0].agreements.at(0).epk == jwk::to_public(header["epk"]));
}

TEST_F(Hostile, UnknownEnvelopeMembersRefused) {
  auto message = [&](const Json& doc) {
    return test::message_of([&] { jwe::Envelope::parse(doc.dump()); });
  };
  // The flattened serialization's members beside the general one's, and inventions.
  for (const char* name : {"header", "encrypted_key", "comment", "Protected", ""}) {
    Json doc = envelope;
    doc[name] = "x";
    EXPECT_EQ(message(doc), "JWE has an unknown member \"" + std::string(name) + "\"") << name;
    EXPECT_EQ(parse_code(doc), std::optional<Errc>(Errc::malformed)) << name;
  }
  // "aad" is known, and refused as what it is.
  Json doc = envelope;
  doc["aad"] = b64("extra");
  EXPECT_EQ(message(doc), "JWE with external \"aad\" is not supported");
  // Every member the general serialization has is accepted.
  doc = envelope;
  doc["unprotected"] = Json::object();
  EXPECT_EQ(parse_code(doc), std::nullopt);
}

TEST(HostileJson, DuplicateMemberNamesRefused) {
  auto message = [](std::string_view text) {
    return test::message_of([&] { json::parse(text, 1 << 20, "test doc"); });
  };
  EXPECT_EQ(message(R"({"a":1,"a":2})"), "duplicate member \"a\" in test doc");
  EXPECT_EQ(message(R"({"a":1,"a":1})"),
            "duplicate member \"a\" in test doc");  // even the same value
  EXPECT_EQ(message(R"({"a":1,"b":2,"a":{}})"), "duplicate member \"a\" in test doc");
  EXPECT_EQ(message(R"({"o":{"x":[],"x":null}})"), "duplicate member \"x\" in test doc");
  EXPECT_EQ(message(R"([1,{"a":1},{"b":1,"b":2}])"), "duplicate member \"b\" in test doc");
  EXPECT_EQ(message(R"({"":1,"":2})"), "duplicate member \"\" in test doc");
  // Names are compared after unescaping: an escape does not hide a repeat.
  EXPECT_EQ(message(R"({"kid":1,"\u006bid":2})"), "duplicate member \"kid\" in test doc");
  // The name is shown escaped, and cut short.
  EXPECT_EQ(message(R"({"a\nb":1,"a\nb":2})"), "duplicate member \"a\\nb\" in test doc");
  std::string long_name(1000, 'n');
  EXPECT_EQ(message("{\"" + long_name + "\":1,\"" + long_name + "\":2}"),
            "duplicate member \"" + std::string(64, 'n') + "...\" in test doc");
  EXPECT_ERRC(json::parse(R"({"a":1,"a":2})", 100, "test doc"), Errc::malformed);
  EXPECT_EQ(
      test::message_of([] { json::parse_secret(R"({"kty":"EC","d":"AA","d":"AQ"})", 100, "JWK"); }),
      "duplicate member \"d\" in JWK");
  // The same name in different objects is no repeat; names differ by case.
  for (std::string_view fine :
       {R"({"a":{"a":{"a":1}}})", R"([{"a":1},{"a":2}])", R"({"a":1,"b":{"a":2},"c":[{"a":3}]})",
        R"({"a":1,"A":2})", R"({"a":{"b":1},"c":{"b":1}})"}) {
    EXPECT_NO_THROW(json::parse(fine, 100, "test doc")) << fine;
    EXPECT_NO_THROW(json::parse_secret(fine, 100, "test doc")) << fine;
  }
  // A syntax error after a repeat is reported as such.
  EXPECT_EQ(message(R"({"a":1,"a":2)"), "test doc is not valid JSON");
}

TEST(HostileJson, NestingDepthCountsOpenContainers) {
  // The depth is the number of arrays and objects open at once: a scalar alone is 0, "[]" 1.
  auto arrays = [](int n, std::string_view inner) {
    return std::string(static_cast<std::size_t>(n), '[') + std::string(inner) +
           std::string(static_cast<std::size_t>(n), ']');
  };
  auto objects = [](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "{\"a\":";
    s += "1";
    s += std::string(static_cast<std::size_t>(n), '}');
    return s;
  };
  const int max = json::kMaxDepth;
  EXPECT_EQ(max, 32);
  EXPECT_NO_THROW(json::parse("1", 100, "test doc"));
  EXPECT_NO_THROW(json::parse(arrays(max, ""), 1000, "test doc"));
  EXPECT_NO_THROW(json::parse(arrays(max, "1"), 1000, "test doc"));
  EXPECT_NO_THROW(json::parse(arrays(max - 1, "{}"), 1000, "test doc"));
  EXPECT_NO_THROW(json::parse(objects(max), 1000, "test doc"));
  EXPECT_NO_THROW(json::parse_secret(objects(max), 1000, "test doc"));
  for (const std::string& deep :
       {arrays(max + 1, ""), arrays(max + 1, "1"), arrays(max, "{}"), objects(max + 1)}) {
    EXPECT_ERRC(json::parse(deep, 1000, "test doc"), Errc::too_large) << deep;
    EXPECT_ERRC(json::parse_secret(deep, 1000, "test doc"), Errc::too_large) << deep;
    EXPECT_EQ(test::message_of([&] { json::parse(deep, 1000, "test doc"); }),
              "test doc is nested too deeply");
  }
}

TEST_F(Hostile, DuplicateMembersRefusedWhereverTheyAre) {
  std::string text = envelope.dump();
  auto insert_after = [&](std::string_view anchor, std::string_view extra) {
    std::string out = text;
    auto at = out.find(anchor);
    EXPECT_NE(at, std::string::npos) << anchor;
    return out.insert(at + anchor.size(), extra);
  };
  auto expect = [](const std::string& doc, std::string_view want) {
    EXPECT_EQ(test::message_of([&] { jwe::Envelope::parse(doc); }), want) << doc;
    EXPECT_ERRC(jwe::Envelope::parse(doc), Errc::malformed);
  };
  expect(insert_after("{", R"("iv":"AAAAAAAAAAAAAAAA",)"), "duplicate member \"iv\" in JWE");
  expect(insert_after(R"("header":{)", R"("kid":"MCKP",)"), "duplicate member \"kid\" in JWE");
  expect(insert_after(R"("header":{)", R"("alg":"dir",)"), "duplicate member \"alg\" in JWE");
  expect(insert_after(R"("epk":{)", R"("x":"AA",)"), "duplicate member \"x\" in JWE");
  expect(insert_after(R"("recrypt":{)", R"("service":"https://elsewhere/",)"),
         "duplicate member \"service\" in JWE");
  // Inside the protected header, which is JSON of its own.
  Json doc = envelope;
  doc["protected"] = b64(R"({"enc":"A256GCM","enc":"A128GCM"})");
  expect(doc.dump(), "duplicate member \"enc\" in JWE protected header");
  // A JWS header, and the .jcd metadata.
  std::string sig = base64url::encode(Bytes(64, 1));
  EXPECT_EQ(test::message_of([&] {
              jws::verify_compact(
                  b64(R"({"alg":"ES256","alg":"none"})") + "." + b64("{}") + "." + sig,
                  a.public_point());
            }),
            "duplicate member \"alg\" in JWS header");
  std::string key = base64url::encode(Bytes(32, 7));
  EXPECT_EQ(test::message_of([&] {
              jcd::Metadata::from_json(as_bytes(R"({"payload_key":")" + key +
                                                R"(","segment_size":65536,"segment_size":65536})"));
            }),
            "duplicate member \"segment_size\" in .jcd metadata");
}

// A reader finds the recipient it can open behind ones it does not know, whichever call it
// opens them with.
TEST_F(Hostile, UnknownRecipientsAreSkipped) {
  Json doc = envelope;
  Json ours = doc["recipients"][0];
  doc["recipients"] = Json::array();
  for (const char* alg : {"RSA-OAEP-256", "ECDH-ES", "dir"})
    doc["recipients"].push_back(Json{{"header", {{"alg", alg}, {"kid", ours["header"]["kid"]}}},
                                     {"encrypted_key", base64url::encode(Bytes(256, 1))}});
  doc["recipients"].push_back(ours);
  jwe::Envelope e = jwe::Envelope::parse(doc.dump());
  ASSERT_EQ(e.recipients.size(), 4u);
  EXPECT_EQ(as_chars(jwe::open_with_private_key(e, a)), "secret");
  std::optional<SecureBytes> cek;
  std::size_t tried = 0;
  for (const jwe::Recipient& r : e.recipients) {
    ++tried;
    std::vector<Point> zs;
    for (const jwe::KeyAgreement& agreement : r.agreements) zs.push_back(agreement.epk.times(a));
    if ((cek = jwe::try_unwrap(r, zs))) break;
  }
  ASSERT_TRUE(cek.has_value());
  EXPECT_EQ(tried, 4u);
  EXPECT_EQ(as_chars(jwe::decrypt_content(e, *cek)), "secret");
}

TEST(HostileJwk, Refusals) {
  Json good = jwk::from_public(Scalar::random(p256()).public_point());
  EXPECT_ERRC(jwk::to_public(Json::array()), Errc::malformed);
  EXPECT_ERRC(jwk::to_public(Json("EC")), Errc::malformed);
  for (const char* f : {"kty", "crv", "x", "y"}) {
    Json j = good;
    j.erase(f);
    EXPECT_ERRC(jwk::to_public(j), Errc::malformed) << f;
    j = good;
    j[f] = 1;
    EXPECT_ERRC(jwk::to_public(j), Errc::malformed) << f;
  }
  Json j = good;
  j["crv"] = "P-384";
  EXPECT_ERRC(jwk::to_public(j), Errc::unsupported);
  SecretJson secret = jwk::from_private(Scalar::random(p256()));
  secret["d"] = SecureString(base64url::encode(Bytes(32, 0)));
  EXPECT_ERRC(jwk::to_private(secret), Errc::invalid_key);
  secret["d"] = SecureString(base64url::encode(Bytes(31, 1)));
  EXPECT_ERRC(jwk::to_private(secret), Errc::invalid_key);
  secret["d"] = 5;
  EXPECT_ERRC(jwk::to_private(secret), Errc::malformed);
}

TEST(HostileJws, Refusals) {
  Scalar k = Scalar::random(p256());
  Point pub = k.public_point();
  std::string payload = b64("{}");
  std::string sig = base64url::encode(Bytes(64, 1));
  auto token = [&](std::string_view header) { return b64(header) + "." + payload + "." + sig; };
  EXPECT_ERRC(jws::verify_compact("", pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact("a.b", pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact("a.b.c.d", pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token("not json"), pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token("[]"), pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token("{}"), pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":5})"), pub), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"none"})"), pub), Errc::unsupported);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"HS256"})"), pub), Errc::unsupported);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"ES384"})"), pub), Errc::unsupported);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"es256"})"), pub), Errc::unsupported);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"ES256","crit":["b64"],"b64":false})"), pub),
              Errc::unsupported);
  EXPECT_ERRC(jws::verify_compact(token(R"({"alg":"ES256"})"), pub), Errc::decrypt_failed);
  EXPECT_ERRC(
      jws::verify_compact(
          b64(R"({"alg":"ES256"})") + "." + payload + "." + base64url::encode(Bytes(63, 1)), pub),
      Errc::decrypt_failed);
  EXPECT_ERRC(jws::verify_compact(b64(R"({"alg":"ES256"})") + "." + payload + ".", pub),
              Errc::decrypt_failed);
  {
    // A payload that is not base64url is refused even under a valid signature.
    std::string input = b64(R"({"alg":"ES256"})") + ".***";
    Bytes digest(32);
    ASSERT_EQ(EVP_Digest(input.data(), input.size(), digest.data(), nullptr, EVP_sha256(), nullptr),
              1);
    std::string signed_token = input + "." + base64url::encode(jws::software_signer(k)(digest));
    EXPECT_ERRC(jws::verify_compact(signed_token, pub), Errc::malformed);
    EXPECT_ERRC(jws::verify_compact(b64(R"({"alg":"ES256"})") + ".***." + sig, pub),
                Errc::decrypt_failed);
  }
  EXPECT_ERRC(jws::unverified_header("x.y"), Errc::malformed);
  EXPECT_ERRC(jws::unverified_header("===.y.z"), Errc::malformed);
  EXPECT_ERRC(jws::verify_compact(std::string(jws::kMaxTokenSize + 1, 'A'), pub), Errc::too_large);
  // A valid signature over a payload that was moved into another token's header slot.
  std::string good = jws::sign_compact(Json::object(), as_bytes("p"), jws::software_signer(k));
  EXPECT_NO_THROW(jws::verify_compact(good, pub));
  std::string swapped = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1) +
                        "." + good.substr(0, good.find('.')) + good.substr(good.rfind('.'));
  EXPECT_SOME_ERROR(jws::verify_compact(swapped, pub));
}

TEST(HostileMetadata, Refusals) {
  std::string key = base64url::encode(Bytes(32, 7));
  auto code = [](const std::string& text) {
    return test::error_of([&] { jcd::Metadata::from_json(as_bytes(text)); });
  };
  auto doc = [&](const std::string& extra) {
    return R"({"payload_key":")" + key + R"(","segment_size":65536)" + extra + "}";
  };
  EXPECT_EQ(code(doc("")), std::nullopt);
  EXPECT_EQ(
      code(doc(R"(,"name":"a.txt","media_type":"text/plain","created":"2026-01-01T00:00:00Z")")),
      std::nullopt);
  EXPECT_EQ(code(doc(R"(,"extra":1)")), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code("[]"), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code("{"), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code(R"({"segment_size":65536})"), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code(R"({"payload_key":1,"segment_size":65536})"),
            std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(
      code(R"({"payload_key":")" + base64url::encode(Bytes(31, 7)) + R"(","segment_size":65536})"),
      std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code(R"({"payload_key":")" + key + R"("})"), std::optional<Errc>(Errc::unsupported));
  for (const char* size :
       {"1024", "0", "-65536", "65536.0", "\"65536\"", "131072", "18446744073709551616"}) {
    EXPECT_EQ(code(R"({"payload_key":")" + key + R"(","segment_size":)" + size + "}"),
              std::optional<Errc>(Errc::unsupported))
        << size;
  }
  for (const char* name :
       {R"("a/b")", R"("..")", R"(".")", R"("")", R"("a\u0000b")", "5", "null"}) {
    EXPECT_EQ(code(doc(std::string(R"(,"name":)") + name)), std::optional<Errc>(Errc::malformed))
        << name;
  }
  EXPECT_EQ(code(doc(R"(,"name":")" + std::string(256, 'n') + "\"")),
            std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code(doc(R"(,"name":")" + std::string(255, 'n') + "\"")), std::nullopt);
  EXPECT_EQ(code(doc(R"(,"media_type":"")")), std::optional<Errc>(Errc::malformed));
  EXPECT_EQ(code(doc(R"(,"created":[])")), std::optional<Errc>(Errc::malformed));
  // "created" is an RFC 3339 date-time (§5.6, with the ranges of §5.7).
  for (const char* created :
       {"2026-01-01T00:00:00Z", "1985-04-12T23:20:50.52Z", "1996-12-19T16:39:57-08:00",
        "1990-12-31T23:59:60Z", "2024-02-29T12:00:00+01:00", "2026-01-01t00:00:00z",
        "2000-02-29T00:00:00.000000001+23:59"}) {
    EXPECT_EQ(code(doc(R"(,"created":")" + std::string(created) + "\"")), std::nullopt) << created;
  }
  for (const char* created : {"2026-11-22 00:00:00",
                              "2026-11-22T00:00:00",
                              "2026-11-22",
                              "22 Nov 2026",
                              "2026-02-29T00:00:00Z",
                              "1900-02-29T00:00:00Z",
                              "2026-04-31T00:00:00Z",
                              "2026-13-01T00:00:00Z",
                              "2026-00-01T00:00:00Z",
                              "2026-01-00T00:00:00Z",
                              "2026-01-01T24:00:00Z",
                              "2026-01-01T00:60:00Z",
                              "2026-01-01T00:00:61Z",
                              "2026-01-01T00:00:00.Z",
                              "2026-01-01T00:00:00+0100",
                              "2026-01-01T00:00:00+24:00",
                              "2026-01-01T00:00:00+01:60",
                              "2026-1-01T00:00:00Z",
                              "+2026-01-01T00:00:00Z",
                              "2026-01-01T00:00:00Z ",
                              " 2026-01-01T00:00:00Z",
                              "2026-01-01T00:00:00ZZ",
                              "2026-01-01T00:00:00\\u0000Z",
                              "\\uff12026-01-01T00:00:00Z",
                              "2026-01-01T00:00Z"}) {
    std::string text = doc(R"(,"created":")" + std::string(created) + "\"");
    EXPECT_EQ(test::message_of([&] { jcd::Metadata::from_json(as_bytes(text)); }),
              created == std::string("2026-01-01T00:00:00\\u0000Z")
                  ? ".jcd metadata: \"created\" contains NUL"
                  : ".jcd metadata: \"created\" must be an RFC 3339 date and time")
        << created;
    EXPECT_EQ(code(text), std::optional<Errc>(Errc::malformed)) << created;
  }
  EXPECT_EQ(code(doc(R"(,"name":")" + std::string(5000, 'n') + "\"")),
            std::optional<Errc>(Errc::too_large));
}

}  // namespace
}  // namespace recrypt
