// A transient object, session or persistent-handle reference of one EsysContext, as a move-only
// value that gives its TPM slot back when it goes: transient objects and sessions are flushed,
// persistent handles only closed (they must stay in the TPM). Without a resource manager a
// forgotten flush costs a TPM slot until reboot; with this type it cannot be forgotten.
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>

namespace recrypt::tpm {

class EsysObject {
 public:
  enum class Release { flush, close };

  EsysObject() noexcept = default;
  EsysObject(ESYS_CONTEXT* ctx, ESYS_TR tr, Release how = Release::flush) noexcept
      : ctx_(ctx), tr_(tr), how_(how) {}
  EsysObject(EsysObject&& other) noexcept;
  EsysObject& operator=(EsysObject&& other) noexcept;
  EsysObject(const EsysObject&) = delete;
  EsysObject& operator=(const EsysObject&) = delete;
  ~EsysObject() { reset(); }

  ESYS_TR get() const noexcept { return tr_; }
  explicit operator bool() const noexcept { return tr_ != ESYS_TR_NONE; }

  // Flushes (or closes) now. Errors are ignored: there is nothing better to do with them.
  void reset() noexcept;
  // Forgets the handle without a TPM command, for when the connection is already gone.
  void abandon() noexcept;

 private:
  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR tr_ = ESYS_TR_NONE;
  Release how_ = Release::flush;
};

// What a session encrypts on one command (Botan-style named flags rather than a bit mask).
// `decrypt`: the command's first parameter travels encrypted; `encrypt`: the response's.
struct SessionAttributes {
  bool decrypt = false;
  bool encrypt = false;
};

// An HMAC session salted to `salt_key` (an ECC key in the TPM: the salt travels by ECDH) with
// AES-128-CFB parameter encryption, continued across commands.
EsysObject start_salted_session(ESYS_CONTEXT* ctx, ESYS_TR salt_key);

// Sets which parameters `session` encrypts on the next command; continueSession stays set.
void set_session_attributes(ESYS_CONTEXT* ctx, ESYS_TR session, SessionAttributes attrs);

}  // namespace recrypt::tpm
