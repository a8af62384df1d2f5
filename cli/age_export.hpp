// `recrypt group export --age`: a group as age's users write it (docs/AGE_PLUGIN.md).
#pragma once

#include <string>

namespace recrypt::cli {

// The age1recrypt1 recipient of a signed group profile, verified as `encrypt -R` verifies it.
std::string age_recipient(const std::string& signed_group_profile);

}  // namespace recrypt::cli
