#include "agent/service_link.hpp"

namespace recrypt::agent {

ServiceLink::ServiceLink(const std::string& url, jws::Signer signer, std::string kid, std::chrono::seconds timeout) {
  (void)url; (void)signer; (void)kid; (void)timeout;
  transport_ = [](std::string_view, const Json&) -> Json { throw std::runtime_error("service client not linked yet"); };
}

}  // namespace recrypt::agent
