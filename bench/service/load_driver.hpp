// The asynchronous side of service_load: N connections, each sending signed RecryptData
// requests back to back, on a few threads. The bench's only Beast translation unit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/point.hpp"
#include "tests/service/identities.hpp"

namespace recrypt::bench {

struct LoadResult {
  std::vector<double> latencies_ms;  // of requests completed in the measured window
  long errors = 0;
  long answered = 0;  // every good answer, warm-up included
  double elapsed = 0;
};

// One second of warm-up, then `seconds` measured. Connection i goes to ports[i % size]: the
// clients spread round-robin over several servers of one audience.
LoadResult drive_load(const std::vector<std::uint16_t>& ports, const std::string& audience,
                      const test::TestPerson& member, const test::TestGroup& group,
                      const std::vector<Point>& ephemerals, int connections, int threads,
                      double seconds);

}  // namespace recrypt::bench
