// Who read this document? (docs/AGENT_PROTOCOL.md group.audit with "document"). The agent
// computes the document's id and the ids of its key agreements addressed to the group
// (docs/FORMAT.md §10), asks the service for the group's audit records of those agreements,
// and names each member by the account the group's verified membership chain gives it. The
// agreement ids are the service's own (it computed them from the point it multiplied); the
// document id beside each record is what the member's agent stated, shown with whether it is
// this file's.
#include <algorithm>
#include <set>

#include "agent/agent.hpp"
#include "protocol/document_id.hpp"
#include "protocol/service/profile.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::agent {
using agent_rpc::Code;
using agent_rpc::RpcError;
using service::AuditRecord;

namespace {

// Enough for any document's readers; past it the answer says it stopped.
constexpr std::size_t kMaxDocumentRecords = 10000;
constexpr std::uint64_t kPage = 1000;  // ReadAudit's largest page

// 202: the service holds the request for an administrator's review.
std::string outcome(const AuditRecord& r) {
  if (r.status == service::status::kOk) return "opened";
  if (r.status == 202) return "held for review";
  return "refused";
}

}  // namespace

Json Agent::group_document_audit(const Json& params) {
  jwe::Envelope envelope = jwe::Envelope::parse(agent_rpc::param_string(params, "document"));
  AdminGroup g = require_admin_group(params);
  LocalProfile profile = require_profile();
  ServiceDirectory::Lease link = service_as_device(profile, g.service);
  service::MembershipState chain = admin_membership(link, g);

  // The document's key agreements with this group: those whose locator names it, and those
  // made to one of its keys, current or past (kid), which any copy of the group profile gives.
  std::set<std::string> kids;
  for (const SealedGroupKey& k : g.keys) kids.insert(k.key_id);
  const std::vector<std::string> agreements =
      document::agreement_ids(envelope, [&](const jwe::KeyAgreement& a) {
        return (a.locator && a.locator->group_id == g.group_id) || kids.count(a.kid) > 0;
      });
  if (agreements.empty())
    throw RpcError(Code::not_found, "the document is not addressed to group " + g.name);
  const std::string document_id = document::document_id(envelope);

  std::vector<AuditRecord> records;
  bool complete = true;
  constexpr std::size_t kChunk = service::ReadAuditRequest::kMaxAgreements;
  for (std::size_t start = 0; start < agreements.size() && complete; start += kChunk) {
    const std::size_t end = std::min(agreements.size(), start + kChunk);
    std::vector<std::string> chunk(agreements.begin() + static_cast<std::ptrdiff_t>(start),
                                   agreements.begin() + static_cast<std::ptrdiff_t>(end));
    const std::set<std::string> asked(chunk.begin(), chunk.end());
    std::uint64_t after = 0;
    for (;;) {
      auto page = link->read_audit(service::ReadAuditRequest{g.group_id, after, kPage, chunk});
      for (AuditRecord& r : page.records) {
        // The service answers only what was asked; a record of another group or agreement is
        // not this document's, whatever the service says.
        if (r.seq <= after || r.group != g.group_id || asked.count(r.agreement) == 0)
          throw RpcError(Code::service_error,
                         "the service answered an audit record that was not asked for");
        after = r.seq;
        records.push_back(std::move(r));
      }
      if (page.records.size() < kPage) break;
      if (records.size() >= kMaxDocumentRecords) {
        complete = false;
        break;
      }
    }
  }
  std::sort(records.begin(), records.end(),
            [](const AuditRecord& a, const AuditRecord& b) { return a.seq < b.seq; });
  if (records.size() > kMaxDocumentRecords) records.resize(kMaxDocumentRecords);

  Json out = Json::array();
  for (const AuditRecord& r : records) {
    auto member = chain.members().find(r.member);
    out.push_back(Json{{"seq", r.seq},
                       {"time", r.time},
                       {"utc", service::rfc3339(r.time)},
                       {"member", r.member},
                       {"account", member == chain.members().end() ? "" : member->second.account},
                       {"device", r.device},
                       {"key_id", r.key_id},
                       {"agreement", r.agreement},
                       {"status", r.status},
                       {"outcome", outcome(r)},
                       {"description", r.description},
                       {"document", r.document},
                       {"document_matches", r.document == document_id}});
  }
  return Json{{"group", g.name},
              {"document", document_id},
              {"agreements", agreements},
              {"complete", complete},
              {"records", std::move(out)}};
}

}  // namespace recrypt::agent
