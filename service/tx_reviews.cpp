// Review (docs/SERVICE.md §5b): a group's policy may hold recryptions for an administrator's
// decision. A review names one member and one key agreement (udf::key_fingerprint of the
// document's T, computed by the service), so an approval opens that one document for that one
// member and nothing else; the member's next RecryptData of it gets the answer.
#include "service/transactions.hpp"

namespace recrypt::service::tx {
namespace {

constexpr std::uint64_t kMaxListed = 1000;

// How a person is named in answers: the member's account, else the profile's name (the
// group's own key is a profile too), else the id.
std::string name_of(StoreReader& r, const std::string& group_id, const std::string& id) {
  if (auto m = r.member(group_id, id); m && !m->account.empty()) return m->account;
  if (auto p = r.profile_by_id(id)) return p->name;
  return id;
}

}  // namespace

Json answer_under_review(StoreReader& r, const Review& review, const RecryptPlan& plan,
                         const KeyVault& vault, const Point& epk, int& status,
                         std::string& description) {
  // Two documents share a key agreement only if their sender reused T; an approval under
  // another group key is not this one.
  if (review.key_id != plan.key_id)
    refuse(status::kConflict, "review request " + std::to_string(review.id) +
                                  " is for this key agreement under another group key");
  if (review.state == "approved") return execute_recrypt(plan, vault, epk);
  if (review.state == "denied")
    refuse(status::kUnauthorized,
           "recryption denied at review by " + name_of(r, plan.group_id, review.decided_by));
  status = status::kPending;
  description = "recryption waits for review (request " + std::to_string(review.id) + ")";
  return ReviewPendingResponse{review.id}.to_json();
}

Review ask_review(StoreWriter& w, const Caller& caller, const RecryptPlan& plan,
                  const AuditNote& note) {
  Review asked;
  asked.member = plan.member_id;
  asked.device = caller.signer.kid;
  asked.key_id = plan.key_id;
  asked.agreement = note.agreement;
  asked.document = note.document;
  asked.requested = unix_now();
  return w.open_review(plan.group_id, asked);
}

Json list_reviews(StoreReader& r, const Caller& caller, const ListReviewsRequest& req,
                  AuditNote& note) {
  GroupRecord g = require_group(r, req.group);
  note.group = g.id;
  require_admin(r, g, caller);
  ListReviewsResponse out{g.id, r.reviews(g.id, req.state, kMaxListed)};
  for (Review& review : out.reviews) {
    auto m = r.member(g.id, review.member);
    review.account = m ? m->account : "";
  }
  return out.to_json();
}

Json decide_review(StoreWriter& w, const Caller& caller, const DecideReviewRequest& req,
                   AuditNote& note) {
  GroupRecord g = require_group(w, req.group);
  note.group = g.id;
  require_admin(w, g, caller);
  auto review = w.review_by_id(g.id, req.request);
  if (!review)
    refuse(status::kNotFound,
           "no review request " + std::to_string(req.request) + " in this group");
  // The audit record of the decision names the document it was for.
  note.key_id = review->key_id;
  note.document = review->document;
  note.agreement = review->agreement;
  if (review->state != "pending")
    refuse(status::kConflict, "review request " + std::to_string(review->id) + " is already " +
                                  review->state + " by " + name_of(w, g.id, review->decided_by));
  review->state = req.approve ? "approved" : "denied";
  review->decided_by = caller.signer.profile_id;
  review->decided = unix_now();
  w.decide_review(g.id, review->id, review->state, review->decided_by, review->decided);
  if (auto m = w.member(g.id, review->member)) review->account = m->account;
  note.outcome = std::string(req.approve ? "approved" : "denied") + " review request " +
                 std::to_string(review->id) + " of " +
                 (review->account.empty() ? review->member : review->account);
  return DecideReviewResponse{g.id, *review}.to_json();
}

}  // namespace recrypt::service::tx
