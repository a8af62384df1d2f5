#include "tpm/connection.hpp"

#include "tpm/esys_memory.hpp"
#include "tpm/storage_parent.hpp"
#include "tpm/templates.hpp"
#include "tpm/tpm_error.hpp"

namespace recrypt::tpm {

bool out_of_object_memory(const TpmError& e) {
  const TSS2_RC base = tpm_rc_base(e.rc());
  return base == TPM2_RC_OBJECT_MEMORY || base == TPM2_RC_OBJECT_HANDLES;
}

std::unique_ptr<Connection> Connection::open(const std::string& tcti,
                                             std::optional<TPM2_HANDLE> persistent_parent) {
  EsysContext ctx = EsysContext::open(tcti);
  TPM2B_PUBLIC pub{};
  EsysObject parent = open_storage_parent(ctx.get(), persistent_parent, pub);
  Point point = point_from_public(pub);
  return std::unique_ptr<Connection>(new Connection{
      std::move(ctx), std::move(parent), std::move(point), std::nullopt, {}, 0, SIZE_MAX});
}

SaltedSession& Connection::salted_session() {
  if (!session) session = SaltedSession::start(esys(), parent.get(), parent_point);
  return *session;
}

ESYS_TR Connection::load(const TPM2B_PRIVATE& priv, const TPM2B_PUBLIC& pub) {
  return with_object_slot([&] {
    ESYS_TR handle = ESYS_TR_NONE;
    check_rc("TPM2_Load", Esys_Load(esys(), parent.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                    ESYS_TR_NONE, &priv, &pub, &handle));
    return handle;
  });
}

void Connection::evict_oldest() noexcept {
  if (keys.empty()) return;
  auto oldest = keys.begin();
  for (auto it = keys.begin(); it != keys.end(); ++it)
    if (it->second.last_used < oldest->second.last_used) oldest = it;
  keys.erase(oldest);  // its EsysObject flushes it
}

std::size_t Connection::count_handles(TPM2_HANDLE first) {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  check_rc("TPM2_GetCapability (handles)",
           Esys_GetCapability(esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES,
                              first, TPM2_MAX_CAP_HANDLES, &more, &raw));
  auto cap = own(raw);
  std::size_t n = 0;
  const TPM2_HANDLE range = first & TPM2_HR_RANGE_MASK;
  for (UINT32 i = 0; i < cap->data.handles.count; ++i)
    if ((cap->data.handles.handle[i] & TPM2_HR_RANGE_MASK) == range) ++n;
  return n;
}

std::optional<int> Connection::tries_left() {
  TPMI_YES_NO more = TPM2_NO;
  TPMS_CAPABILITY_DATA* raw = nullptr;
  check_rc("TPM2_GetCapability (lockout counters)",
           Esys_GetCapability(esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                              TPM2_CAP_TPM_PROPERTIES, TPM2_PT_LOCKOUT_COUNTER, 2, &more, &raw));
  auto cap = own(raw);
  std::optional<UINT32> counter, max;
  for (UINT32 i = 0; i < cap->data.tpmProperties.count; ++i) {
    const auto& p = cap->data.tpmProperties.tpmProperty[i];
    if (p.property == TPM2_PT_LOCKOUT_COUNTER) counter = p.value;
    if (p.property == TPM2_PT_MAX_AUTH_FAIL) max = p.value;
  }
  if (!counter || !max) return std::nullopt;
  if (*counter >= *max) check_rc("PIN check", TPM2_RC_LOCKOUT);  // reports it as `locked`
  return static_cast<int>(*max - *counter);
}

void Connection::abandon() noexcept {
  for (auto& [id, key] : keys) key.handle.abandon();
  if (session) session->abandon();
  parent.abandon();
}

}  // namespace recrypt::tpm
