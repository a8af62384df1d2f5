#include "tests/service/identities.hpp"

#include "protocol/udf.hpp"

namespace recrypt::test {

std::string TestDevice::kid() const { return udf::key_fingerprint(signing.public_point()); }
std::string TestDevice::encryption_id() const {
  return udf::key_fingerprint(encryption.public_point());
}

std::string TestPerson::id() const { return udf::key_fingerprint(profile_key.public_point()); }

service::PersonalProfile TestPerson::profile() const {
  service::PersonalProfile p{account, profile_key.public_point(), {}, "2026-01-01T00:00:00Z"};
  for (const auto& d : devices) {
    service::Device device{
        d->name, "soft", d->encryption.public_point(), d->signing.public_point(), std::nullopt, {}};
    device.prove(p.id(), d->signer());
    p.devices.push_back(std::move(device));
  }
  return p;
}

std::string TestPerson::token() const { return profile().sign(profile_signer()); }

std::vector<Point> TestPerson::device_keys() const {
  std::vector<Point> out;
  for (const auto& d : devices) out.push_back(d->encryption.public_point());
  return out;
}

std::unique_ptr<TestPerson> make_person(const std::string& account, int devices) {
  auto p = std::make_unique<TestPerson>();
  p->account = account;
  for (int i = 0; i < devices; ++i) {
    auto d = std::make_unique<TestDevice>();
    d->name = "device" + std::to_string(i);
    p->devices.push_back(std::move(d));
  }
  return p;
}

TestGroup::TestGroup(std::string n, std::string url)
    : name(std::move(n)), service_url(std::move(url)) {
  keys.push_back(Scalar::random(Curve::p256()));
}

std::string TestGroup::id() const { return udf::key_fingerprint(signing.public_point()); }
std::string TestGroup::key_id() const { return udf::key_fingerprint(secret().public_point()); }

service::GroupProfile TestGroup::profile() const {
  service::GroupProfile p{name,        signing.public_point(), secret().public_point(), {},
                          service_url, "2026-01-01T00:00:00Z"};
  for (std::size_t i = 0; i + 1 < keys.size(); ++i)
    p.past_encryption_keys.push_back(keys[i].public_point());
  return p;
}

std::string TestGroup::token() const { return profile().sign(jws::software_signer(signing)); }

void TestGroup::rotate() { keys.push_back(Scalar::random(Curve::p256())); }

service::MemberEntry TestGroup::entry_for(const TestPerson& p, service::Privileges privileges,
                                          service::MemberStatus status) const {
  return service::make_member_entry(p.id(), p.account, privileges, status, secret(),
                                    p.device_keys());
}

std::string TestGroup::record(service::RecordOp op, std::vector<service::MemberChange> members,
                              const TestPerson* by) {
  service::MembershipRecord r = chain.next(op);
  r.members = std::move(members);
  if (op == service::RecordOp::genesis || op == service::RecordOp::rotate ||
      op == service::RecordOp::resplit)
    r.key_id = key_id();
  std::string token = by != nullptr ? r.sign(by->profile_key.public_point(), by->profile_signer())
                                    : r.sign(signing.public_point(), jws::software_signer(signing));
  // A record the chain's rules refuse is still made (tests send such records to see them
  // refused), but the chain here does not take it.
  try {
    chain.append(token);
  } catch (const service::ServiceError&) {
  }
  return token;
}

service::Client client_for(const std::string& url, const TestPerson& p, int device) {
  if (device < 0) return service::Client(url, url, p.profile_signer(), p.id());
  const TestDevice& d = *p.devices.at(static_cast<std::size_t>(device));
  return service::Client(url, url, d.signer(), d.kid());
}

}  // namespace recrypt::test
