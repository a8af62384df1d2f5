#include "service/client/target_order.hpp"

namespace recrypt::service {

void TargetOrder::failed(const std::string& target) {
  std::lock_guard guard(mutex_);
  failed_at_[target] = Clock::now();
}

std::vector<std::size_t> TargetOrder::order(const std::vector<std::string>& targets) const {
  auto now = Clock::now();
  std::vector<std::size_t> fresh, penalised;
  std::lock_guard guard(mutex_);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    auto it = failed_at_.find(targets[i]);
    bool recent = it != failed_at_.end() && now - it->second < penalty_;
    (recent ? penalised : fresh).push_back(i);
  }
  fresh.insert(fresh.end(), penalised.begin(), penalised.end());
  return fresh;
}

}  // namespace recrypt::service
