// The member's half of recryption, on one device: open the share the service returned
// (wrapped to this device's encryption key), compute P = x·T, and Z = R + P.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "backend/backend.hpp"
#include "protocol/jwe.hpp"
#include "protocol/point.hpp"
#include "protocol/scalar.hpp"
#include "protocol/service/messages.hpp"

namespace recrypt::agent {

struct DeviceKeys {
  std::string name;
  backend::Backend* backend;
  std::string encryption_key_id;  // backend's id
  std::string encryption_udf;     // kid of JWEs addressed to this device
  std::string signing_key_id;
  std::string signing_udf;  // kid of requests this device signs
};

// A device failure that ends the whole request rather than moving on to the next device: a
// wrong PIN, a locked device, or a prompt the user cancelled (asking on another device would
// only ask the user again).
bool ends_the_request(const backend::BackendError& failure);

// The whole point when the device gave it, else both points with that x.
std::vector<Point> ecdh_points(const backend::EcdhResult& result);

// Decrypts a wrapped share (a JWE of the share as a private JWK) with the device's key.
Scalar unwrap_share(const std::string& wrapped, const DeviceKeys& device);

// The plaintext of a JWE addressed to `device`'s encryption key, opened with the device's
// ECDH; nullopt when no recipient of it is that key.
std::optional<SecureBytes> open_for_device(const jwe::Envelope& envelope, const DeviceKeys& device);

// Z = R + x·T for one key agreement, from the service's RecryptData answer, with the share
// opened from its wrapped (JWE) form.
Point member_shared_point(const DeviceKeys& device, const Point& epk,
                          const service::RecryptDataResponse& answer);

// Which key of a backend holds a resident share: found once (by its public point x·G among
// the backend's keys), imported on first use, then remembered.
class ResidentShares {
 public:
  std::string key_for(backend::Backend& backend, const backend::WrappedShare& blob,
                      const Point& share_public);

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> keys_;  // backend name | UDF of x·G -> backend key id
};

// Z for one key agreement, in whichever form the device received its share: resident (x·T
// on the device; two candidates when the device gives only x) or wrapped. `how` says which.
std::vector<Point> member_shared_points(const DeviceKeys& device, const Point& epk,
                                        const service::RecryptDataResponse& answer,
                                        ResidentShares& resident, std::string& how);

}  // namespace recrypt::agent
