#include "ageplugin/recrypt_age.hpp"

#include "ageplugin/age_stanza.hpp"
#include "ageplugin/bech32.hpp"
#include "base/error.hpp"
#include "protocol/primitives.hpp"
#include "protocol/udf.hpp"

namespace recrypt::age {
namespace {

const Curve& curve() { return Curve::p256(); }

// Reads the locator's length-prefixed fields in turn; Error(malformed) past the end.
class Reader {
 public:
  explicit Reader(ByteView bytes) : bytes_(bytes) {}
  std::string field(std::size_t length_bytes, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < length_bytes; ++i) n = (n << 8) | take(1, what)[0];
    ByteView v = take(n, what);
    std::string s(v.begin(), v.end());
    for (char c : s)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        fail(Errc::malformed,
             "recrypt locator: the " + std::string(what) + " has a control character");
    if (s.empty()) fail(Errc::malformed, "recrypt locator: an empty " + std::string(what));
    return s;
  }
  ByteView take(std::size_t n, std::string_view what) {
    if (bytes_.size() - at_ < n)
      fail(Errc::malformed, "recrypt locator: it ends inside the " + std::string(what));
    ByteView v = bytes_.subspan(at_, n);
    at_ += n;
    return v;
  }
  bool done() const { return at_ == bytes_.size(); }

 private:
  ByteView bytes_;
  std::size_t at_ = 0;
};

void put_field(Bytes& out, std::string_view s, std::size_t length_bytes, std::string_view what) {
  if (s.empty() || s.size() >= (std::size_t{1} << (8 * length_bytes)))
    fail(Errc::malformed, "recrypt locator: the " + std::string(what) + " is empty or too long");
  for (std::size_t i = length_bytes; i-- > 0;)
    out.push_back(static_cast<std::uint8_t>((s.size() >> (8 * i)) & 0xff));
  out.insert(out.end(), s.begin(), s.end());
}

SecureBytes kek_for(const Point& z, std::string_view kid) {
  SecureBytes x = z.secret_x();
  ByteView apv(reinterpret_cast<const std::uint8_t*>(kid.data()), kid.size());
  return concat_kdf(x, kKdfAlgorithm, ByteView{}, apv, kAes256KeySize);
}

}  // namespace

std::string GroupRecipient::kid() const { return udf::key_fingerprint(key); }

Bytes compress(const Point& point) {
  Bytes out{static_cast<std::uint8_t>((point.y_bytes().back() & 1) ? 0x03 : 0x02)};
  Bytes x = point.x_bytes();
  out.insert(out.end(), x.begin(), x.end());
  return out;
}

Point decompress(ByteView sec1) {
  if (sec1.size() != kCompressedSize || (sec1[0] != 0x02 && sec1[0] != 0x03))
    fail(Errc::malformed, "not a SEC1 compressed P-256 point (33 bytes, 02 or 03 first)");
  try {
    Point even = Point::lift_x(curve(), sec1.subspan(1));
    return sec1[0] == 0x02 ? even : even.negated();
  } catch (const Error&) {
    fail(Errc::malformed, "the point is not on P-256");
  }
}

Bytes encode_locator(const jwe::Locator& locator) {
  Bytes out;
  put_field(out, locator.group, 1, "group name");
  put_field(out, locator.group_id, 1, "group id");
  put_field(out, locator.service, 2, "service address");
  return out;
}

jwe::Locator decode_locator(ByteView bytes) {
  Reader r(bytes);
  jwe::Locator out;
  out.group = r.field(1, "group name");
  out.group_id = r.field(1, "group id");
  out.service = r.field(2, "service address");
  if (!r.done()) fail(Errc::malformed, "recrypt locator: bytes after the service address");
  return out;
}

std::string encode_recipient(const GroupRecipient& recipient) {
  Bytes payload{kVersion};
  Bytes a = compress(recipient.key);
  payload.insert(payload.end(), a.begin(), a.end());
  Bytes loc = encode_locator(recipient.locator);
  payload.insert(payload.end(), loc.begin(), loc.end());
  return bech32::encode(kRecipientHrp, payload);
}

GroupRecipient parse_recipient(std::string_view text) {
  bech32::Decoded d = bech32::decode(text);
  if (d.hrp != kRecipientHrp)
    fail(Errc::malformed, "not a recrypt recipient (its prefix is " + d.hrp + "1, not " +
                              std::string(kRecipientHrp) + "1)");
  if (d.data.empty() || d.data[0] != kVersion)
    fail(Errc::malformed, "recrypt recipient: unknown version (this plugin reads version 1)");
  if (d.data.size() < 1 + kCompressedSize)
    fail(Errc::malformed, "recrypt recipient: too short for a key");
  ByteView all(d.data);
  try {
    return GroupRecipient{decompress(all.subspan(1, kCompressedSize)),
                          decode_locator(all.subspan(1 + kCompressedSize))};
  } catch (const Error& e) {
    fail(Errc::malformed, std::string("recrypt recipient: ") + e.what());
  }
}

std::string identity() {
  Bytes payload{kVersion};
  return bech32::encode_upper(kIdentityHrp, payload);
}

void parse_identity(std::string_view text) {
  bech32::Decoded d = bech32::decode(text);
  std::string want(kIdentityHrp);
  for (char& c : want) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (d.hrp != want) fail(Errc::malformed, "not a recrypt identity (prefix " + d.hrp + "1)");
  if (!d.data.empty() && !(d.data.size() == 1 && d.data[0] == kVersion))
    fail(Errc::malformed, "recrypt identity: unknown version (this plugin reads version 1)");
}

std::vector<std::string> RecryptStanza::args() const {
  return {std::string(kStanzaTag), kid, base64_encode(compress(epk)),
          base64_encode(encode_locator(locator))};
}

RecryptStanza parse_stanza(const std::vector<std::string>& args, ByteView body) {
  if (args.size() != 3)
    fail(Errc::malformed,
         "recrypt stanza: " + std::to_string(args.size()) + " arguments, not 3 (KID EPK LOCATOR)");
  if (body.size() != kWrappedSize)
    fail(Errc::malformed, "recrypt stanza: a body of " + std::to_string(body.size()) +
                              " bytes, not " + std::to_string(kWrappedSize));
  try {
    if (args[0].size() > 128) fail(Errc::malformed, "the key id is too long");
    SecureBytes epk = base64_decode(args[1]);
    SecureBytes loc = base64_decode(args[2]);
    return RecryptStanza{args[0], decompress(epk), decode_locator(loc),
                         Bytes(body.begin(), body.end())};
  } catch (const Error& e) {
    fail(Errc::malformed, std::string("recrypt stanza: ") + e.what());
  }
}

RecryptStanza wrap_file_key(const GroupRecipient& recipient, ByteView file_key) {
  return wrap_file_key(recipient, file_key, Scalar::random(curve()));
}

RecryptStanza wrap_file_key(const GroupRecipient& recipient, ByteView file_key, const Scalar& t) {
  if (file_key.size() != kFileKeySize)
    fail(Errc::malformed, "an age file key is " + std::to_string(kFileKeySize) + " bytes");
  std::string kid = recipient.kid();
  SecureBytes kek = kek_for(recipient.key.times(t), kid);
  return RecryptStanza{kid, t.public_point(), recipient.locator, aes256_key_wrap(kek, file_key)};
}

std::optional<SecureBytes> unwrap_file_key(const RecryptStanza& stanza, const Point& z) {
  SecureBytes kek = kek_for(z, stanza.kid);
  auto key = aes256_key_unwrap(kek, stanza.wrapped);
  if (key && key->size() != kFileKeySize) return std::nullopt;
  return key;
}

}  // namespace recrypt::age
