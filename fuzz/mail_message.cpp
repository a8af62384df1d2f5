// The mail format's parsers (mail/) on arbitrary messages: open_encrypted() as `mail decrypt`
// reads its input, and seal_plan() as `mail encrypt` does, whose result must open again and
// give back the same .jcd bytes. The first byte picks --protect-subject.
#include <cstdlib>

#include "base/error.hpp"
#include "mail/encrypted_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace recrypt;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    if (auto e = mail::open_encrypted(text)) (void)mail::restore_message(*e, text);
  } catch (const Error&) {
  }
  if (size == 0) return 0;
  mail::SealPlan plan;
  try {
    plan = mail::seal_plan(text.substr(1), (data[0] & 1) != 0);
  } catch (const Error&) {
    return 0;
  }
  const Bytes jcd(text.begin(), text.end());
  std::string sealed = mail::sealed_message(plan, jcd.empty() ? Bytes{1} : jcd, "=_b");
  // What encryption wrote, decryption must read: anything else is a bug in one of them.
  auto opened = mail::open_encrypted(sealed);
  if (!opened || opened->jcd != (jcd.empty() ? Bytes{1} : jcd)) std::abort();
  (void)mail::restore_message(*opened, plan.inner);
  return 0;
}
