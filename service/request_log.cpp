#include "service/request_log.hpp"

#include <cstdio>
#include <mutex>

#include "protocol/json.hpp"
#include "protocol/service/profile.hpp"

namespace recrypt::service {
namespace {

std::mutex log_mutex;

void emit(const Json& line) {
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::lock_guard lock(log_mutex);
  std::fprintf(stderr, "%s\n", text.c_str());
}

}  // namespace

void log_request(const RequestLogEntry& e) {
  emit(Json{{"time", rfc3339_now()},
            {"type", e.type},
            {"status", e.status},
            {"kid", e.kid},
            {"group", e.group},
            {"peer", e.peer},
            {"duration_ms", e.duration_ms}});
}

void log_event(const std::string& event, const std::string& detail) {
  emit(Json{{"time", rfc3339_now()}, {"event", event}, {"detail", detail}});
}

}  // namespace recrypt::service
