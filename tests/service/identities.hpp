// Software identities for service tests: people with devices and groups with their keys,
// all held in memory (the agent's hardware backends are tested elsewhere).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocol/jws.hpp"
#include "protocol/recryption.hpp"
#include "protocol/service/member_entry.hpp"
#include "protocol/service/membership.hpp"
#include "protocol/service/profile.hpp"
#include "service/client/client.hpp"

namespace recrypt::test {

struct TestDevice {
  std::string name = "device";
  Scalar signing = Scalar::random(Curve::p256());
  Scalar encryption = Scalar::random(Curve::p256());
  std::string kid() const;
  std::string encryption_id() const;
  jws::Signer signer() const { return jws::software_signer(signing); }
};

// Not movable once signers exist (they refer to the keys): keep it in a unique_ptr.
struct TestPerson {
  std::string account;
  Scalar profile_key = Scalar::random(Curve::p256());
  std::vector<std::unique_ptr<TestDevice>> devices;

  std::string id() const;
  service::PersonalProfile profile() const;  // every device with its proof of possession
  std::string token() const;
  jws::Signer profile_signer() const { return jws::software_signer(profile_key); }
  std::vector<Point> device_keys() const;
};
std::unique_ptr<TestPerson> make_person(const std::string& account, int devices = 1);

struct TestGroup {
  std::string name;
  std::string service_url;
  Scalar signing = Scalar::random(Curve::p256());
  std::vector<Scalar> keys;  // every a, current last

  TestGroup(std::string n, std::string url);
  std::string id() const;
  const Scalar& secret() const { return keys.back(); }
  std::string key_id() const;
  service::GroupProfile profile() const;
  std::string token() const;
  void rotate();  // a fresh a; the old ones become past keys
  service::MemberEntry entry_for(
      const TestPerson& p, service::Privileges privileges,
      service::MemberStatus status = service::MemberStatus::active) const;

  // The membership chain as the test expects the service to hold it (ServiceTest::sync_chain
  // reads it back). record() signs the next record (by the group's own key, or by `by`'s
  // profile key), appends it here if the chain's rules allow it, and returns its token.
  service::MembershipState chain{""};
  std::string record(service::RecordOp op, std::vector<service::MemberChange> members = {},
                     const TestPerson* by = nullptr);
};

inline service::MemberChange change(const TestPerson& p, service::Privileges privileges,
                                    service::MemberStatus status = service::MemberStatus::active) {
  return {p.id(), {p.account, privileges, status}};
}

// A client of `url` signing with a device's key (or the person's profile key when device < 0).
service::Client client_for(const std::string& url, const TestPerson& p, int device = 0);

inline service::Privileges recrypt_only() { return {true, false, false}; }
inline service::Privileges admin_privs() { return {true, true, false}; }
inline service::Privileges super_privs() { return {true, true, true}; }

}  // namespace recrypt::test
