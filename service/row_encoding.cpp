#include "service/row_encoding.hpp"

namespace recrypt::service {

std::int64_t privilege_bits(const Privileges& p) {
  return (p.recrypt ? 1 : 0) | (p.admin ? 2 : 0) | (p.super ? 4 : 0);
}

Privileges privileges_of(std::int64_t bits) {
  return {(bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0};
}

std::vector<std::string> split_ids(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ",") + id;
  return out;
}

}  // namespace recrypt::service
