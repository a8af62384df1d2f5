// PublishProfile and GetProfile, and the personal profiles that member transactions carry.
#include <set>

#include "protocol/jwk.hpp"
#include "service/transactions.hpp"

namespace recrypt::service::tx {

void store_personal_profile(StoreWriter& w, const VerifiedProfile& profile) {
  // A group profile published on its own would let anyone claim a group name before the group
  // is created, and every sender who looks the name up would encrypt to the claimant.
  if (profile.type != ProfileType::personal)
    refuse(status::kConflict,
           "a group profile enters the service only with its group (CreateGroup, UpdateGroup, "
           "RotateGroupKey), signed by the group's own key");
  if (auto other = w.profile_by_name("personal", profile.name());
      other && other->id != profile.id())
    refuse(status::kConflict, "another profile already uses this account name");
  std::vector<SignerRecord> signers;
  {
    const PersonalProfile& p = *profile.personal;
    signers.push_back({profile.id(), profile.id(), jwk::from_public(p.signing_key).dump(), ""});
    for (const Device& d : p.devices)
      signers.push_back({d.signing_id(), profile.id(), jwk::from_public(d.signing_key).dump(),
                         d.encryption_id()});
    for (const SignerRecord& s : signers) {
      auto existing = w.signer(s.kid);
      if (existing && existing->profile_id != profile.id())
        refuse(status::kConflict, "a signing key of this profile belongs to another profile");
    }
  }
  w.put_profile({profile.id(), "personal", profile.name(), profile.token}, signers);
}

Json publish_profile(StoreWriter& w, const VerifiedProfile& profile) {
  store_personal_profile(w, profile);
  return PublishProfileResponse{profile.id()}.to_json();
}

void store_carried_profiles(StoreWriter& w, const std::vector<std::string>& tokens,
                            const std::set<std::string>& member_ids) {
  for (const std::string& token : tokens) {
    VerifiedProfile profile = verify_profile(token);
    if (profile.type != ProfileType::personal || !member_ids.count(profile.id()))
      refuse(status::kMalformed,
             "a carried profile must be the personal profile of a member the request names");
    // A copy older than the one stored (the member published since, with a new device) would
    // take that device's signing key away: the newer one stays.
    if (auto stored = w.profile_by_id(profile.id()); stored && stored->type == "personal") {
      if (stored->token == token) continue;
      if (verify_personal_profile(stored->token).created > profile.personal->created) continue;
    }
    store_personal_profile(w, profile);
  }
}

Json get_profile(StoreReader& r, const GetProfileRequest& req) {
  std::optional<ProfileRecord> p;
  if (!req.id.empty())
    p = r.profile_by_id(req.id);
  else if (!req.account.empty())
    p = r.profile_by_name("personal", req.account);
  else
    p = r.profile_by_name("group", req.group);
  if (!p) refuse(status::kNotFound, "no such profile");
  return GetProfileResponse{p->token}.to_json();
}

}  // namespace recrypt::service::tx
