#include "cli/age_export.hpp"

#include "ageplugin/recrypt_age.hpp"
#include "cli/documents.hpp"

namespace recrypt::cli {

std::string age_recipient(const std::string& signed_group_profile) {
  jwe::RecipientKey key = recipient_from_profile(signed_group_profile);
  return age::encode_recipient(age::GroupRecipient{key.public_key, *key.locator});
}

}  // namespace recrypt::cli
