#include "agent/group_keys.hpp"

#include <memory>

#include "protocol/agent/rpc.hpp"
#include "protocol/base64url.hpp"
#include "protocol/jwk.hpp"

namespace recrypt::agent {

SealedGroupKey seal_scalar(backend::Backend& b, std::string_view backend_name,
                           const std::string& label, const std::string& key_id,
                           const Scalar& secret) {
  Bytes sealed = b.seal(label, secret.to_bytes());
  return SealedGroupKey{key_id, jwk::from_public(secret.public_point()), std::string(backend_name),
                        base64url::encode(sealed)};
}

Scalar unseal_scalar(backend::Backend& b, const SealedGroupKey& sealed) {
  SecureBytes raw = b.unseal(base64url::decode(sealed.sealed));
  Scalar key = Scalar::from_bytes(Curve::p256(), raw);
  if (!(key.public_point() == jwk::to_public(sealed.public_jwk)))
    throw agent_rpc::RpcError(
        agent_rpc::Code::device_error,
        "the sealed key " + sealed.key_id + " does not match the public key filed with it");
  return key;
}

jws::Signer owning_signer(Scalar key) {
  auto owned = std::make_shared<const Scalar>(std::move(key));
  return [owned](ByteView digest) { return jws::software_signer(*owned)(digest); };
}

std::string group_key_label(const std::string& key_id) { return "group-key:" + key_id; }
std::string group_signing_label(const std::string& group_id) {
  return "group-signing-key:" + group_id;
}

}  // namespace recrypt::agent
