// The client of recryptd: one method per transaction, typed requests and responses, signed
// requests, and a refusal or failure always as a ServiceError carrying Status and
// StatusDescription (a transport failure too: 503 with what went wrong). Every network step
// has a deadline, so a dead service is an error after `timeout`, never a hang.
//
// A service of several instances (an address listing several URLs, DNS SRV records naming
// several targets, ClientOptions::alternates): a target that does not connect, or does not
// answer a request, goes to the back of the order for 30 s; a request nothing of which was
// sent goes to the next target; a read or RecryptData sent but not answered is sent once more
// to the next target, and any other change throws OutcomeUnknown (resend_policy.hpp).
//
// One Client keeps one connection alive and is not thread-safe: use one per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/jws.hpp"
#include "protocol/service/messages.hpp"
#include "protocol/service/rotation_messages.hpp"
#include "protocol/service/service_error.hpp"

namespace recrypt::service {

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  // for each of resolve, connect, write and read
  std::string ca_file;                       // https: trust these roots instead of the system's
  std::size_t max_response = 4 << 20;
  // For a service found through DNS SRV: ask this DNS server (IPv4) instead of the system's.
  std::string nameserver;
  std::uint16_t nameserver_port = 53;
  // More addresses of the same service (its other instances), tried after the base address's
  // targets. Each may itself be a list; the audience stays the one the caller gives.
  std::vector<std::string> alternates;
};

class Client {
 public:
  // base_url: http://host:port or https://host[:port] (a path is ignored; requests go to
  // /.well-known/recrypt/), or a domain whose service DNS SRV names, or a comma-separated list
  // of these naming the instances of one service (service_address.hpp); the address is looked
  // up again on each new connection. audience: the service's "aud" (see
  // Hello). signer/kid: the key that signs requests, kid its UDF.
  Client(std::string base_url, std::string audience, jws::Signer signer, std::string kid,
         ClientOptions options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Changes the key that signs the following requests.
  void set_signer(jws::Signer signer, std::string kid);

  HelloResponse hello();
  // PublishProfile must be signed by the profile's own key, usually not the device's.
  PublishProfileResponse publish_profile(const PublishProfileRequest& req,
                                         const jws::Signer& profile_signer,
                                         const std::string& profile_kid);
  GetProfileResponse get_profile(const GetProfileRequest& req);
  CreateGroupResponse create_group(const CreateGroupRequest& req);
  UpdateGroupResponse update_group(const UpdateGroupRequest& req);
  // With no req.limit, every page of the member list, gathered (req.after the first cursor);
  // with one, that page alone, its `next` the cursor of the following one.
  GetGroupResponse get_group(const GetGroupRequest& req);
  AddMemberResponse add_member(const AddMemberRequest& req);
  UpdateMemberResponse update_member(const UpdateMemberRequest& req);
  // Throws ReviewPending (Status 202) while the recryption waits for an administrator.
  RecryptDataResponse recrypt_data(const RecryptDataRequest& req);
  // Every agreement's outcome in order, a refusal or a 202 among them too (docs/SERVICE.md
  // §4.7b); only a refusal of the whole request throws. Ask hello() first: an older service
  // does not list RecryptBatch among its features and refuses it as unknown.
  RecryptBatchResponse recrypt_batch(const RecryptBatchRequest& req);
  RotateGroupKeyResponse rotate_group_key(const RotateGroupKeyRequest& req);
  // A rotation in steps (rotation_messages.hpp), for groups too large for one request.
  BeginRotationResponse begin_rotation(const BeginRotationRequest& req);
  AddRotationEntriesResponse add_rotation_entries(const AddRotationEntriesRequest& req);
  CommitRotationResponse commit_rotation(const CommitRotationRequest& req);
  AbandonRotationResponse abandon_rotation(const AbandonRotationRequest& req);
  ReadAuditResponse read_audit(const ReadAuditRequest& req);
  ReadMembershipResponse read_membership(const ReadMembershipRequest& req);
  GetAdminKeysResponse get_admin_keys(const GetAdminKeysRequest& req);
  MigrateMembershipResponse migrate_membership(const MigrateMembershipRequest& req);
  SetPolicyResponse set_policy(const SetPolicyRequest& req);
  ListReviewsResponse list_reviews(const ListReviewsRequest& req);
  DecideReviewResponse decide_review(const DecideReviewRequest& req);

  // For tests and tools: posts `body` as it is, with the given signature header (none when
  // empty), and returns the HTTP status and body without interpreting them.
  struct RawResponse {
    int status = 0;
    std::string body;
    std::string retry_after = {};  // the Retry-After header, if any
  };
  RawResponse post_raw(const std::string& body, const std::string& signature);

  // Signs `body` with this client's key, as the requests above are.
  std::string sign(const std::string& body) const;

 private:
  template <class Response, class Request>
  Response call(const Request& req, const jws::Signer* signer, const std::string* kid);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace recrypt::service
