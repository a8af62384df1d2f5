// How both stores write the fields that have no column type of their own: privileges as bits
// (RECRYPT 1, ADMIN 2, SUPER 4) and a group's key ids as one comma-separated text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/service/member_entry.hpp"

namespace recrypt::service {

std::int64_t privilege_bits(const Privileges& p);
Privileges privileges_of(std::int64_t bits);
std::vector<std::string> split_ids(const std::string& s);
std::string join_ids(const std::vector<std::string>& ids);

}  // namespace recrypt::service
