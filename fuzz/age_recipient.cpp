// Bech32 and age-plugin-recrypt's recipient and identity on arbitrary text: an error or a value
// that encodes back to the same string, nothing else.
#include <cstdlib>

#include "ageplugin/bech32.hpp"
#include "ageplugin/recrypt_age.hpp"
#include "base/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  try {
    bech32::Decoded d = bech32::decode(text);
    if (bech32::encode(d.hrp, d.data) != lower) std::abort();
  } catch (const Error&) {
  }
  try {
    age::GroupRecipient r = age::parse_recipient(text);
    if (age::encode_recipient(r) != lower) std::abort();
  } catch (const Error&) {
  }
  try {
    age::parse_identity(text);
  } catch (const Error&) {
  }
  return 0;
}
