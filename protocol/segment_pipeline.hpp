// Batches of .jcd payload segments sealed or opened on worker threads, handed back in the
// order they were submitted. The pipeline knows nothing of the format: jcd::Encryptor and
// jcd::Decryptor cut the batches and say what a worker does to one (their per-segment seal
// and open); the pipeline runs that work and keeps the order and the memory bound.
//
// Only the calling thread submits, waits and reads the results, so sources and sinks are
// used on that thread alone. A worker never waits for the caller: it takes a batch, works,
// marks it done. An exception in the work stays with its batch and reaches the caller when
// that batch's turn comes; the destructor stops and joins every worker, whatever is in
// flight.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/bytes.hpp"

namespace recrypt::jcd {

// Consecutive segments of one payload and what became of them.
struct SegmentBatch {
  std::uint64_t first = 0;  // counter of the first segment
  bool ends = false;        // holds the payload's last segment (its last bytes)
  SecureBytes input;        // plaintext to seal, or sealed segments to open
  std::size_t input_size = 0;
  SecureBytes output;
  // Bytes of output ready. After a failure, the output of the segments before it.
  std::size_t output_size = 0;
  std::exception_ptr error;  // the work's failure, if any
  bool done = false;
};

class SegmentPipeline {
 public:
  // What a worker does to a batch; `worker` (0 to threads - 1) picks that thread's own state
  // (an AES-GCM context is not shared between threads).
  using Work = std::function<void(std::size_t worker, SegmentBatch& batch)>;

  // `max_in_flight` batches at most are submitted and not yet taken back.
  SegmentPipeline(std::size_t threads, std::size_t max_in_flight, Work work);
  ~SegmentPipeline();
  SegmentPipeline(const SegmentPipeline&) = delete;
  SegmentPipeline& operator=(const SegmentPipeline&) = delete;

  // A batch to fill: one given back earlier (its buffers kept), or a new one.
  std::unique_ptr<SegmentBatch> take();
  void give_back(std::unique_ptr<SegmentBatch> batch);

  bool full() const { return in_flight_.size() >= max_in_flight_; }
  bool empty() const { return in_flight_.empty(); }
  // Requires !full().
  void submit(std::unique_ptr<SegmentBatch> batch);
  // The oldest batch submitted, once done, out of the pipeline. Requires !empty().
  std::unique_ptr<SegmentBatch> wait_oldest();
  // Whether wait_oldest() would return at once.
  bool oldest_done();

 private:
  void run(std::size_t worker);

  Work work_;
  const std::size_t max_in_flight_;
  std::deque<std::unique_ptr<SegmentBatch>> in_flight_;  // the caller's: submission order
  std::vector<std::unique_ptr<SegmentBatch>> spare_;
  std::mutex mutex_;
  std::condition_variable work_ready_;  // workers wait here for a batch or for stop_
  std::condition_variable batch_done_;  // the caller waits here for the oldest batch
  std::deque<SegmentBatch*> queue_;     // submitted, not yet taken by a worker
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace recrypt::jcd
