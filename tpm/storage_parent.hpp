// The storage parent every key of the backend lives under (template: templates.hpp).
#pragma once

#include <tss2/tss2_esys.h>

#include <optional>

#include "tpm/esys_object.hpp"

namespace recrypt::tpm {

// Without `persistent`: CreatePrimary in the owner hierarchy, a transient object that the
// caller keeps loaded. With it: the key at that persistent handle, created and persisted
// there first when the handle is empty; BackendError(device) when it holds another kind of key.
// `out_public` receives its public area.
EsysObject open_storage_parent(ESYS_CONTEXT* ctx, std::optional<TPM2_HANDLE> persistent,
                               TPM2B_PUBLIC& out_public);

}  // namespace recrypt::tpm
