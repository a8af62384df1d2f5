// The agent: owns every private-key operation of one user and every service request that
// needs the user's signature. Methods are the JSON-RPC methods of docs/AGENT_PROTOCOL.md;
// each takes named parameters and returns a JSON result or throws agent_rpc::RpcError.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/consent.hpp"
#include "agent/home.hpp"
#include "agent/home_services.hpp"
#include "agent/known_profiles.hpp"
#include "agent/member_combine.hpp"
#include "agent/memberships.hpp"
#include "agent/pin_provider.hpp"
#include "agent/service_link.hpp"
#include "backend/backend.hpp"
#include "protocol/agent/rpc.hpp"
#include "protocol/jwe.hpp"
#include "protocol/jws.hpp"
#include "protocol/service/group_policy.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::agent {

struct EscrowFile;
struct EscrowSecrets;

struct AgentConfig {
  std::filesystem::path home;
  std::string default_backend = "soft";
  std::chrono::seconds unlock_ttl{600};
  std::chrono::seconds service_timeout{10};
  // Home services (home_services.hpp): domain -> service URL (--service-for), and for https
  // and DNS SRV the roots to trust (--ca-file) and the DNS server, IPv4[:PORT] (--dns-server).
  std::map<std::string, std::string> service_for;
  std::string ca_file;
  std::string dns_server;
  // Extra backends (tpm, pkcs11) configured at start; "soft" is always there.
  std::vector<std::unique_ptr<backend::Backend>> extra_backends;
  // Which requests from the socket ask the user first, and how (a pinentry CONFIRM).
  ConfirmPolicy confirm;
  Confirmer confirmer;
};

class Agent {
 public:
  Agent(AgentConfig config, PinProvider& pins);
  ~Agent();

  // One JSON-RPC line in, one out ("" for a notification). `requester` is the program on
  // the socket, whose requests may need the user's consent; nullptr for calls from within
  // this process (tests, benchmarks), which never ask.
  SecureString handle_line(const std::string& line, const Requester* requester = nullptr);
  Json call(const std::string& method, const Json& params, const Requester* requester = nullptr);

  struct MethodInfo {
    std::string name;
    std::string summary;
    Json params;  // {"name": "type, meaning"}
    Json (Agent::*fn)(const Json&);
    bool changes_state;
    ConsentKind consent;  // what the confirm policy calls it: decrypt, admin, or neither
  };
  static const std::vector<MethodInfo>& methods();

 private:
  // Methods (agent_methods.cpp, profile_methods.cpp, group_methods.cpp, document_methods.cpp)
  Json hello(const Json&);
  Json list_methods(const Json&);
  Json status(const Json&);
  Json lock(const Json&);
  Json keys_list(const Json&);
  Json profile_create(const Json&);
  Json profile_show(const Json&);
  Json profile_lookup(const Json&);
  Json known_list(const Json&);
  Json known_forget(const Json&);
  Json device_add(const Json&);
  Json device_list(const Json&);
  Json device_remove(const Json&);
  Json device_confirm(const Json&);
  Json group_create(const Json&);
  Json group_add(const Json&);
  Json group_suspend(const Json&);
  Json group_revoke(const Json&);
  Json group_reinstate(const Json&);
  Json group_rotate(const Json&);
  Json group_resplit(const Json&);
  Json group_show(const Json&);
  Json group_list(const Json&);
  Json group_recipient(const Json&);
  Json group_audit(const Json&);
  // group.audit with "document": that document's records (audit_methods.cpp)
  Json group_document_audit(const Json&);
  Json group_escrow(const Json&);
  Json group_recover(const Json&);
  Json group_privileges(const Json&);  // member_methods.cpp
  Json group_update(const Json&);
  Json group_leave(const Json&);
  Json group_join(const Json&);
  Json document_open(const Json&);
  Json open_envelope(const jwe::Envelope& envelope);  // document.open's opening
  Json age_unwrap(const Json&);
  // Co-administrators (admin_methods.cpp)
  Json group_admin_add(const Json&);
  Json group_admin_remove(const Json&);
  Json group_handover(const Json&);
  // A group's policy at its service (policy_methods.cpp)
  Json group_policy(const Json&);
  Json group_set_policy(const Json&);
  service::GroupPolicy group_policy_of(service::Client& link, const AdminGroup& g);
  // Recryptions held for review at the group's service (review_methods.cpp)
  Json group_reviews(const Json&);
  Json group_review_decide(const Json&);

  // Consent (consent_context.cpp): what a request would do, for the prompt, or nullopt when
  // neither the policy nor a device asks for it.
  std::optional<ConsentRequest> consent_needed(const MethodInfo& method, const Json& params);
  bool device_confirms(const LocalDevice& device) const {
    return config_.confirm.decrypt || device.confirm;
  }

  // Helpers shared by the methods.
  backend::Backend& backend(std::string_view name);
  jws::Signer signer(const KeyRef& key);
  // Signs as the group: its sealed signing key unsealed for the Signer's lifetime, or the
  // backend key of an older group.
  jws::Signer group_signer(const AdminGroup& g);
  // The home's profile. One whose signed token no longer verifies (published before device
  // proofs) is re-signed and republished first. If that fails, methods that use only the
  // profile's key ids go on with it as it is (a token may be unplugged), and those that use
  // its signed token get the failure.
  enum class ProfileNeed { key_ids, signed_token };
  LocalProfile require_profile(ProfileNeed need = ProfileNeed::key_ids);
  std::vector<DeviceKeys> present_devices(const LocalProfile& profile);
  const LocalDevice& signing_device(const LocalProfile& profile);
  ServiceDirectory::Lease service_as_device(const LocalProfile& profile);
  // The group this agent administers: its own copy, or else the secrets an administrator left
  // at the service for this device (receive_admin_group).
  // The same at another service: one where a group this user joined lives.
  ServiceDirectory::Lease service_as_device(const LocalProfile& profile, const std::string& url);
  // The service of a group by name or id: the one this agent administers it at, or where this
  // user joined it, else this user's own.
  ServiceDirectory::Lease group_link(const LocalProfile& profile, const std::string& name_or_id);
  AdminGroup require_admin_group(const Json& params);
  // A co-administrator's copy of group `name_or_id`, from GetAdminKeys: the group profile and
  // the membership chain verified to name this profile an ACTIVE ADMIN or SUPER, the secrets
  // sealed to the device that asked. `local` is this agent's older copy (another administrator
  // rotated), whose past keys are kept.
  AdminGroup receive_admin_group(const std::string& name_or_id,
                                 const std::optional<AdminGroup>& local);
  Json set_member_status(const Json& params, service::MemberStatus status);
  std::string sign_record(const service::MembershipRecord& record, const LocalProfile& profile);
  // The group's membership chain as this agent verified it, brought up to the service's head.
  service::MembershipState verified_membership(service::Client& link, const std::string& group_id,
                                               const std::string& group_name);
  // The same for a group this agent administers; a group from before chains is migrated.
  service::MembershipState admin_membership(service::Client& link, AdminGroup& g);
  std::string publish_profile(LocalProfile& profile);
  // The profile to encrypt to for a group this agent administers (group_methods.cpp).
  std::string newest_group_profile(const AdminGroup& g);
  // An escrow's contents, opened with the recovery code or passphrase in params, or with the
  // recovery key on whichever present device holds it.
  EscrowSecrets open_escrow_file(const EscrowFile& file, const Json& params);
  // A group this user is a member of, found where it is hosted (group_link), its
  // name and id as its signed profile states them, the name pinned.
  struct JoinedGroup {
    ServiceDirectory::Lease link;
    std::string id;
    std::string name;
    service::GetGroupResponse group;  // the service's answer, its id and name checked
  };
  JoinedGroup find_joined_group(const LocalProfile& profile, const std::string& name);
  void leave_hidden_group(const LocalProfile& profile, JoinedGroup& joined, const std::string& me);
  Point device_encryption_key(const LocalDevice& device);

  // Members on other services (federation_methods.cpp).
  // The service of the domain of `account_or_group` (home_services.hpp); "" for a fingerprint.
  std::string home_service_of(const std::string& account_or_group);
  // The member to add to a group at `group_service`: from their home service when that is
  // another (its signed token then goes to `carried`), else as fetch_confirmed_profile does.
  service::PersonalProfile member_to_add(service::Client& group_link,
                                         const std::string& group_service,
                                         const std::string& member,
                                         const std::optional<std::string>& fingerprint,
                                         std::vector<std::string>& carried);
  // A member's current profile, by id, from their home service (the chain's account's
  // domain) when that is another than `group_service` (its token then goes to `carried`).
  service::PersonalProfile current_member_profile(service::Client& group_link,
                                                  const std::string& group_service,
                                                  const std::string& id, const std::string& account,
                                                  std::vector<std::string>& carried);
  // The signed profile of group `name`, looked up at its domain's service, which it must say
  // it is hosted at; pinned.
  std::string remote_group_profile(const std::string& name);

  AgentConfig config_;
  PinProvider& pins_;
  Home home_;
  KnownProfiles known_{home_.known_profiles_file()};
  HomeServices home_services_;
  Memberships memberships_{home_.root() / "memberships.json"};
  std::mutex membership_mutex_;  // one writer of the membership files at a time
  ServiceDirectory services_;
  ResidentShares resident_shares_;
  std::map<std::string, std::unique_ptr<backend::Backend>, std::less<>> backends_;
  std::mutex state_mutex_;      // one state-changing method at a time
  std::mutex profile_mutex_;    // require_profile: one check, and republication, at a time
  std::string verified_token_;  // the home's profile token as last found to verify
  std::chrono::steady_clock::time_point started_;
  ConsentGate consent_{config_.confirm.ttl, config_.confirmer};
};

}  // namespace recrypt::agent
