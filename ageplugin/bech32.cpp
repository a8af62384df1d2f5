// BIP-173's checksum is a BCH code over GF(32): polymod() below is its generator polynomial's
// remainder, written as the reference does it, with the five generator constants.
#include "ageplugin/bech32.hpp"

#include <array>
#include <cstdint>

#include "base/error.hpp"

namespace recrypt::bech32 {
namespace {

constexpr std::string_view kAlphabet = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
  constexpr std::array<std::uint32_t, 5> kGenerator = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
                                                       0x3d4233dd, 0x2a1462b3};
  std::uint32_t chk = 1;
  for (std::uint8_t v : values) {
    std::uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (std::size_t i = 0; i < kGenerator.size(); ++i)
      if ((top >> i) & 1) chk ^= kGenerator[i];
  }
  return chk;
}

std::vector<std::uint8_t> expand_hrp(std::string_view hrp) {
  std::vector<std::uint8_t> out;
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) >> 5);
  out.push_back(0);
  for (char c : hrp) out.push_back(static_cast<std::uint8_t>(c) & 31);
  return out;
}

void check_hrp(std::string_view hrp) {
  if (hrp.empty() || hrp.size() > 83)
    fail(Errc::malformed, "bech32: the human-readable part must be 1 to 83 characters");
  for (char c : hrp)
    if (c < 33 || c > 126)
      fail(Errc::malformed, "bech32: the human-readable part has a character outside 33..126");
}

// 8-bit bytes to 5-bit groups, the last one padded with zero bits.
std::vector<std::uint8_t> to_groups(ByteView data) {
  std::vector<std::uint8_t> out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back((acc >> bits) & 31);
    }
  }
  if (bits > 0) out.push_back((acc << (5 - bits)) & 31);
  return out;
}

// Back to bytes: at most 4 bits of padding, all zero, as BIP-173 requires.
Bytes from_groups(const std::vector<std::uint8_t>& groups) {
  Bytes out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (std::uint8_t g : groups) {
    acc = ((acc << 5) | g) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 5) fail(Errc::malformed, "bech32: more than 4 bits of padding");
  if ((acc & ((1u << bits) - 1)) != 0) fail(Errc::malformed, "bech32: padding bits are not zero");
  return out;
}

struct Split {
  std::string hrp;
  std::vector<std::uint8_t> groups;  // data groups, the checksum's 6 removed
};

Split split_checked(std::string_view text) {
  if (text.size() > kMaxLength)
    fail(Errc::malformed, "bech32: longer than " + std::to_string(kMaxLength) + " characters");
  bool lower = false, upper = false;
  for (char c : text) {
    if (c < 33 || c > 126) fail(Errc::malformed, "bech32: a character outside 33..126");
    lower = lower || (c >= 'a' && c <= 'z');
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  if (lower && upper) fail(Errc::malformed, "bech32: mixed upper and lower case");
  std::size_t sep = text.rfind('1');
  if (sep == std::string_view::npos) fail(Errc::malformed, "bech32: no separator '1'");
  if (sep == 0) fail(Errc::malformed, "bech32: empty human-readable part");
  if (text.size() - sep - 1 < 6) fail(Errc::malformed, "bech32: shorter than its checksum");
  Split out;
  for (char c : text.substr(0, sep))
    out.hrp.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  check_hrp(out.hrp);
  for (char c : text.substr(sep + 1)) {
    char l = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    std::size_t v = kAlphabet.find(l);
    if (v == std::string_view::npos)
      fail(Errc::malformed, std::string("bech32: '") + c + "' is not in the alphabet");
    out.groups.push_back(static_cast<std::uint8_t>(v));
  }
  std::vector<std::uint8_t> all = expand_hrp(out.hrp);
  all.insert(all.end(), out.groups.begin(), out.groups.end());
  if (polymod(all) != 1) fail(Errc::malformed, "bech32: bad checksum");
  out.groups.resize(out.groups.size() - 6);
  return out;
}

}  // namespace

std::string encode(std::string_view hrp, ByteView data) {
  return encode_groups(hrp, to_groups(data));
}

std::string encode_groups(std::string_view hrp, const std::vector<std::uint8_t>& groups) {
  check_hrp(hrp);
  for (char c : hrp)
    if (c >= 'A' && c <= 'Z') fail(Errc::malformed, "bech32: encode takes a lowercase prefix");
  for (std::uint8_t g : groups)
    if (g > 31) fail(Errc::malformed, "bech32: a group above 31");
  std::vector<std::uint8_t> values = expand_hrp(hrp);
  values.insert(values.end(), groups.begin(), groups.end());
  values.insert(values.end(), 6, 0);
  std::uint32_t mod = polymod(values) ^ 1;
  std::string out(hrp);
  out.push_back('1');
  for (std::uint8_t g : groups) out.push_back(kAlphabet[g]);
  for (int i = 0; i < 6; ++i) out.push_back(kAlphabet[(mod >> (5 * (5 - i))) & 31]);
  if (out.size() > kMaxLength) fail(Errc::malformed, "bech32: the result would be too long");
  return out;
}

std::string encode_upper(std::string_view hrp, ByteView data) {
  std::string lower;
  for (char c : hrp) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
  std::string out = encode(lower, data);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

Decoded decode(std::string_view text) {
  Split s = split_checked(text);
  return Decoded{std::move(s.hrp), from_groups(s.groups)};
}

bool verify_groups(std::string_view text) {
  try {
    split_checked(text);
    return true;
  } catch (const Error&) {
    return false;
  }
}

}  // namespace recrypt::bech32
