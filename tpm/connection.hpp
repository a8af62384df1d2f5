// Everything the backend holds in one TPM connection: the ESAPI context, the storage parent,
// the salted session of the ECDH path and the cache of loaded keys. Dropped as a whole when the
// transport fails; re-opened by the next operation.
#pragma once

#include <tss2/tss2_esys.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "backend/backend.hpp"
#include "tpm/esys_context.hpp"
#include "tpm/esys_object.hpp"
#include "tpm/salted_session.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {

// TPM_RC_OBJECT_MEMORY or TPM_RC_OBJECT_HANDLES: no free slot for one more object.
bool out_of_object_memory(const TpmError& e);

struct CachedKey {
  EsysObject handle;
  backend::KeyPurpose purpose;
  std::uint64_t last_used;
  KeyRef ref;             // TPM handle and Name, for the SAPI session
  bool pin_auth = false;  // its auth value comes from a PIN, given for each use
};

// Members are destroyed in reverse order: cached keys, the session, then the parent are
// flushed while the context still exists.
struct Connection {
  static std::unique_ptr<Connection> open(const std::string& tcti,
                                          std::optional<TPM2_HANDLE> persistent_parent);

  EsysContext ctx;
  EsysObject parent;
  Point parent_point;
  std::optional<SaltedSession> session;  // made on first use
  std::map<std::string, CachedKey, std::less<>> keys;
  std::uint64_t clock = 0;
  // How many keys fit beside the parent, learnt from the first "out of object memory": later
  // loads evict first instead of failing a command each time.
  std::size_t key_slots = SIZE_MAX;

  ESYS_CONTEXT* esys() const noexcept { return ctx.get(); }
  SaltedSession& salted_session();

  // Runs `command`, which needs a free object slot: TPM2_Load, and TPM2_Create too (it holds
  // the new object in a slot while it works). While the TPM has none (TPMs guarantee as few
  // as 3), flushes the cached key used longest ago and tries again.
  template <class F>
  auto with_object_slot(F&& command) -> decltype(command()) {
    while (!keys.empty() && keys.size() >= key_slots) evict_oldest();
    for (;;) {
      try {
        return command();
      } catch (const TpmError& e) {
        if (!out_of_object_memory(e) || keys.empty()) throw;
        key_slots = keys.size();
        evict_oldest();
      }
    }
  }
  // TPM2_Load under the parent, with_object_slot.
  ESYS_TR load(const TPM2B_PRIVATE& priv, const TPM2B_PUBLIC& pub);
  void evict_oldest() noexcept;

  // Handles of one range (TPM2_TRANSIENT_FIRST, TPM2_LOADED_SESSION_FIRST) the TPM reports.
  std::size_t count_handles(TPM2_HANDLE first);
  // Tries left before the dictionary-attack lockout, nullopt when the TPM does not say.
  // Throws BackendError(locked) when it is locked out already.
  std::optional<int> tries_left();

  // The transport is gone: forget handles without talking to the TPM.
  void abandon() noexcept;
};

}  // namespace recrypt::tpm
