// One JSON line per request on stderr: time, transaction, status, signing kid, group and
// duration. Never a body, a header value other than the kid, or a key.
#pragma once

#include <string>

namespace recrypt::service {

struct RequestLogEntry {
  std::string type;
  int status = 0;
  std::string kid;
  std::string group;
  std::string peer;
  double duration_ms = 0;
};

void log_request(const RequestLogEntry& entry);
void log_event(const std::string& event, const std::string& detail);

}  // namespace recrypt::service
