// An administered group's secrets at rest: the group keys a and the group's signing key are
// scalars sealed to one of the agent's backends (Backend::seal), unsealed only for the length
// of one operation and wiped when it ends (Scalar's destructor).
#pragma once

#include <string>
#include <string_view>

#include "agent/home.hpp"
#include "backend/backend.hpp"
#include "protocol/jws.hpp"
#include "protocol/scalar.hpp"

namespace recrypt::agent {

// Seals `secret` to `b` (configured in the agent as `backend_name`) under `label`; key_id is
// what the sealed key is filed under: the UDF of a group key, or the group id for the
// signing key.
SealedGroupKey seal_scalar(backend::Backend& b, std::string_view backend_name,
                           const std::string& label, const std::string& key_id,
                           const Scalar& secret);

// Unseals and checks the scalar against the public key filed with it: a blob that opens to
// another key is a device error, never a key silently used.
Scalar unseal_scalar(backend::Backend& b, const SealedGroupKey& sealed);

// A Signer that owns the unsealed signing key until the Signer itself is destroyed.
jws::Signer owning_signer(Scalar key);

// The labels the seals are made under: what a TPM or token shows for them.
std::string group_key_label(const std::string& key_id);
std::string group_signing_label(const std::string& group_id);

}  // namespace recrypt::agent
