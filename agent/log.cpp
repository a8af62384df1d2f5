#include "agent/log.hpp"

#include <chrono>
#include <iostream>
#include <mutex>

#include "protocol/json.hpp"

namespace recrypt::agent {

void log_event(std::string_view level, std::string_view message) {
  static std::mutex mutex;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  std::string line = Json{{"time_ms", now.count()}, {"level", level}, {"message", message}}.dump(
      -1, ' ', false, Json::error_handler_t::replace);
  std::lock_guard guard(mutex);
  std::cerr << line << '\n' << std::flush;
}

}  // namespace recrypt::agent
