#include "tests/vectors/vector_keys.hpp"

#include "base/error.hpp"
#include "protocol/jwk.hpp"
#include "protocol/recryption.hpp"
#include "protocol/udf.hpp"

namespace recrypt::vectors {
namespace {

constexpr std::string_view kWhat = "test vector description";

Scalar private_key(const Json& group, std::string_view field) {
  return jwk::to_private(json::to_secret(json::object_field(group, field, kWhat)));
}

Point shared_point(const Group& g, KeyUse use, const Point& epk) {
  if (use == KeyUse::group_key) return epk.times(g.a);
  return recryption::combine(recryption::partial(g.r, epk), epk.times(g.x));
}

}  // namespace

Description read_description(ByteView json_text) {
  Json doc = json::parse(as_chars(json_text), 1 << 20, kWhat);
  Description d;
  d.description = json::string_field(doc, "description", kWhat);
  for (const Json& g : json::array_field(doc, "groups", kWhat)) {
    Point signing = jwk::to_public(json::object_field(g, "signing_key", kWhat));
    d.groups.push_back(Group{
        json::string_field(g, "name", kWhat), json::string_field(g, "kid", kWhat),
        json::string_field(g, "group_id", kWhat), std::move(signing), private_key(g, "group_key"),
        private_key(g, "member_share"), private_key(g, "recryption_key")});
  }
  if (doc.contains("error")) {
    const Json& e = json::object_field(doc, "error", kWhat);
    d.error = ExpectedError{json::string_field(e, "code", kWhat),
                            json::string_field(e, "message", kWhat)};
  }
  if (doc.contains("document_id")) {
    d.document_id = json::string_field(doc, "document_id", kWhat);
    for (const Json& a : json::array_field(doc, "agreements", kWhat)) {
      if (!a.is_string()) fail(Errc::malformed, "vector \"agreements\" must hold strings");
      d.agreements.push_back(a.get<std::string>());
    }
  }
  return d;
}

Opener opener(const Description& description, KeyUse use) {
  return [&description, use](const jwe::Recipient& r) -> std::optional<SecureBytes> {
    // The groups to try for each agreement; none at all for an algorithm we do not know, whose
    // one empty combination try_unwrap declines.
    std::vector<std::vector<const Group*>> choices;
    std::size_t combinations = 1;
    for (const auto& agreement : r.agreements) {
      std::vector<const Group*> named, all;
      for (const Group& g : description.groups) {
        all.push_back(&g);
        if (g.kid == agreement.kid) named.push_back(&g);
      }
      choices.push_back(named.empty() ? all : named);
      combinations *= choices.back().size();
    }
    for (std::size_t index = 0; index < combinations; ++index) {
      std::vector<Point> zs;
      std::size_t rest = index;
      for (std::size_t i = 0; i < choices.size(); ++i) {
        const Group& g = *choices[i][rest % choices[i].size()];
        rest /= choices[i].size();
        zs.push_back(shared_point(g, use, r.agreements[i].epk));
      }
      if (auto cek = jwe::try_unwrap(r, zs)) return cek;
    }
    return std::nullopt;
  };
}

void decrypt_jcd(ByteView file, const Opener& open_recipient, Sink& out) {
  MemorySource source(file);
  BufferedInput in(source);
  jcd::Header header = jcd::read_header(in);
  for (const auto& recipient : header.envelope.recipients) {
    auto cek = open_recipient(recipient);
    if (!cek) continue;
    jcd::Metadata metadata = jcd::open_metadata(header.envelope, *cek);
    jcd::Decryptor decryptor(in, metadata, header.digest);
    while (auto segment = decryptor.next()) out.write(*segment);
    return;
  }
  fail(Errc::decrypt_failed, "no recipient opens with the vector's keys");
}

}  // namespace recrypt::vectors
