// RecryptData: the service's half of a decryption, R = r·T, for an ACTIVE member with RECRYPT,
// asked by one of that member's devices, which also gets its wrapped share back.
#include <algorithm>

#include "protocol/recryption.hpp"
#include "service/transactions.hpp"

namespace recrypt::service::tx {
namespace {

bool has_quotas(const GroupPolicy& p) {
  return !p.quota.unlimited() || std::any_of(p.member_quotas.begin(), p.member_quotas.end(),
                                             [](const auto& q) { return !q.second.unlimited(); });
}

}  // namespace

RecryptPlan plan_recrypt(StoreReader& r, const Caller& caller, const RecryptDataRequest& req,
                         AuditNote& note) {
  note.group = req.group;
  note.key_id = req.key_id;
  if (caller.signer.encryption_id.empty())
    refuse(status::kUnauthorized,
           "RecryptData must be signed by a device key listed in a personal profile");
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  auto m = r.member(g.id, caller.signer.profile_id);
  if (!m) refuse(status::kUnauthorized, "not a member of this group");
  if (m->status == MemberStatus::suspended) refuse(status::kUnauthorized, "member is suspended");
  if (m->status == MemberStatus::revoked) refuse(status::kUnauthorized, "member is revoked");
  if (!m->privileges.recrypt) refuse(status::kUnauthorized, "member lacks the RECRYPT privilege");
  auto k = r.key(g.id, m->member_id, req.key_id);
  if (!k) refuse(status::kNotFound, "no recryption key for this member and key_id");
  Json shares = Json::parse(k->wrapped_shares, nullptr, false);
  auto share = shares.is_object() ? shares.find(caller.signer.encryption_id) : shares.end();
  if (share == shares.end() || !share->is_string())
    refuse(status::kNotFound,
           "no share is wrapped for this device; ask an administrator to add it");
  return {g.id,
          m->member_id,
          req.key_id,
          std::move(k->sealed_recryption_key),
          share->get<std::string>(),
          g.policy.quota_for(m->member_id),
          g.policy.member_quotas.contains(m->member_id),
          has_quotas(g.policy),
          g.policy.reviews(req.key_id)};
}

Json execute_recrypt(const RecryptPlan& plan, const KeyVault& vault, const Point& epk) {
  SecureBytes rb = vault.open(plan.sealed_recryption_key,
                              seal_context(plan.group_id, plan.member_id, plan.key_id));
  Scalar rk = Scalar::from_bytes(epk.curve(), rb);
  return RecryptDataResponse{recryption::partial(rk, epk), plan.share}.to_json();
}

Json recrypt_data(StoreReader& r, const KeyVault& vault, const Caller& caller,
                  const RecryptDataRequest& req, AuditNote& note) {
  return execute_recrypt(plan_recrypt(r, caller, req, note), vault, req.epk);
}

}  // namespace recrypt::service::tx
