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

// True when `s` is written into a JSON string as it is: printable ASCII, no quote or
// backslash. Anything else (control bytes, UTF-8, invalid bytes) goes through the JSON
// library's escaping.
bool plain(const std::string& s) {
  for (char ch : s)
    if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\') return false;
  return true;
}

void append_field(std::string& out, const char* name, const std::string& value) {
  out += '"';
  out += name;
  out += "\":\"";
  out += value;
  out += "\",";
}

}  // namespace

void log_request(const RequestLogEntry& e) {
  std::string time = rfc3339_now();
  if (plain(e.type) && plain(e.kid) && plain(e.group) && plain(e.peer)) {
    // The line the JSON object below makes (keys in its order), without building the object:
    // one per request, which the object's nodes and their allocations made measurable.
    std::string line = "{\"duration_ms\":";
    line += Json(e.duration_ms).dump();
    line += ',';
    append_field(line, "group", e.group);
    append_field(line, "kid", e.kid);
    append_field(line, "peer", e.peer);
    line += "\"status\":";
    line += std::to_string(e.status);
    line += ',';
    append_field(line, "time", time);
    append_field(line, "type", e.type);
    line.back() = '}';
    std::lock_guard lock(log_mutex);
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  emit(Json{{"time", std::move(time)},
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
