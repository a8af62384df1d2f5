#include "protocol/segment_pipeline.hpp"

#include "base/error.hpp"

namespace recrypt::jcd {

SegmentPipeline::SegmentPipeline(std::size_t threads, std::size_t max_in_flight, Work work)
    : work_(std::move(work)), max_in_flight_(max_in_flight) {
  if (threads == 0 || max_in_flight == 0)
    fail(Errc::internal, "a segment pipeline needs a thread and room for a batch");
  workers_.reserve(threads);
  try {
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this, i] { run(i); });
  } catch (...) {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    work_ready_.notify_all();
    for (auto& t : workers_) t.join();
    throw;
  }
}

SegmentPipeline::~SegmentPipeline() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
    queue_.clear();  // batches not started are dropped; those started finish first
  }
  work_ready_.notify_all();
  for (auto& t : workers_) t.join();
}

void SegmentPipeline::run(std::size_t worker) {
  for (;;) {
    SegmentBatch* batch = nullptr;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      batch = queue_.front();
      queue_.pop_front();
    }
    try {
      work_(worker, *batch);
    } catch (...) {
      batch->error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex_);
      batch->done = true;
    }
    batch_done_.notify_one();
  }
}

std::unique_ptr<SegmentBatch> SegmentPipeline::take() {
  if (spare_.empty()) return std::make_unique<SegmentBatch>();
  std::unique_ptr<SegmentBatch> batch = std::move(spare_.back());
  spare_.pop_back();
  return batch;
}

void SegmentPipeline::give_back(std::unique_ptr<SegmentBatch> batch) {
  batch->first = 0;
  batch->ends = false;
  batch->input_size = 0;
  batch->output_size = 0;
  batch->error = nullptr;
  batch->done = false;
  spare_.push_back(std::move(batch));
}

void SegmentPipeline::submit(std::unique_ptr<SegmentBatch> batch) {
  if (full()) fail(Errc::internal, "segment pipeline submitted past its bound");
  SegmentBatch* raw = batch.get();
  in_flight_.push_back(std::move(batch));
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(raw);
  }
  work_ready_.notify_one();
}

bool SegmentPipeline::oldest_done() {
  std::lock_guard lock(mutex_);
  return !in_flight_.empty() && in_flight_.front()->done;
}

std::unique_ptr<SegmentBatch> SegmentPipeline::wait_oldest() {
  if (empty()) fail(Errc::internal, "segment pipeline has nothing in flight");
  {
    std::unique_lock lock(mutex_);
    batch_done_.wait(lock, [&] { return in_flight_.front()->done; });
  }
  std::unique_ptr<SegmentBatch> batch = std::move(in_flight_.front());
  in_flight_.pop_front();
  return batch;
}

}  // namespace recrypt::jcd
