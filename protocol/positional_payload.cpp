#include "protocol/positional_payload.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "base/error.hpp"
#include "base/io.hpp"

namespace recrypt::jcd {
namespace {

constexpr std::size_t kSealedSegment = kSegmentSize + kGcmTagSize;
constexpr std::uint64_t kNone = std::numeric_limits<std::uint64_t>::max();

// Segments per batch: 16 (1 MiB reads and writes) on a few threads, fewer on many, so that
// the buffers stay near 4 MiB of input and 4 MiB of output whatever the thread count.
std::size_t segments_per_batch(unsigned threads) {
  return std::clamp<std::size_t>(64 / std::max(threads, 1u), 1, 16);
}

// What one batch came to: where the payload ends, or the failure that ends it.
struct Outcome {
  bool ends = false;
  std::uint64_t read = 0;
  std::uint64_t written = 0;
  std::exception_ptr error;
};

class Run {
 public:
  Run(const PositionalJob& job, ByteView key, const HeaderDigest& header)
      : job_(job),
        key_(key),
        header_(header),
        per_batch_(segments_per_batch(job.threads)),
        in_unit_(job.work == PayloadWork::seal ? kSegmentSize : kSealedSegment),
        out_unit_(job.work == PayloadWork::seal ? kSealedSegment : kSegmentSize) {}

  PositionalResult operator()(const std::function<void(std::uint64_t)>& progress) {
    {
      std::vector<std::jthread> workers;  // joined on the way out, whatever happens
      try {
        for (unsigned i = 0; i < job_.threads; ++i) {
          {
            std::lock_guard lock(mutex_);
            ++running_;
          }
          try {
            workers.emplace_back([this] { work(); });
          } catch (...) {
            std::lock_guard lock(mutex_);
            --running_;
            throw;
          }
        }
      } catch (...) {
        stop(std::current_exception());
        throw;
      }
      std::unique_lock lock(mutex_);
      while (running_ > 0) {
        changed_.wait_for(lock, std::chrono::milliseconds(200));
        lock.unlock();
        if (progress) progress(done_.exchange(0));
        lock.lock();
      }
    }
    if (progress) progress(done_.exchange(0));
    if (worker_error_) std::rethrow_exception(worker_error_);
    if (end_.error) std::rethrow_exception(end_.error);
    const std::uint64_t full = end_at_;  // batches before the end, all of them whole
    PositionalResult result{full * per_batch_ * in_unit_ + end_.read,
                            full * per_batch_ * out_unit_ + end_.written};
    // Batches read past the end may have written there.
    const std::uint64_t end = job_.out_offset + result.written;
    if (::ftruncate(job_.out_fd, static_cast<off_t>(end)) != 0 ||
        ::lseek(job_.out_fd, static_cast<off_t>(end), SEEK_SET) < 0)
      fail(Errc::io, std::string("write failed: ") + std::strerror(errno));
    return result;
  }

 private:
  void work() {
    try {
      SegmentCipher cipher(key_, header_);
      SecureBytes in(per_batch_ * in_unit_ + 1);
      SecureBytes out(per_batch_ * out_unit_);
      for (;;) {
        std::uint64_t index = 0;
        {
          std::lock_guard lock(mutex_);
          if (end_at_ != kNone && next_ > end_at_) break;
          if (worker_error_) break;
          index = next_++;
        }
        Outcome outcome = batch(index, cipher, in, out);
        const std::uint64_t outcome_read = outcome.read;
        if (outcome.ends || outcome.error) {
          std::lock_guard lock(mutex_);
          if (end_at_ == kNone || index < end_at_) {
            end_at_ = index;
            end_ = std::move(outcome);
          }
        }
        done_ += outcome_read;
        changed_.notify_one();
      }
    } catch (...) {
      stop(std::current_exception());
    }
    {
      std::lock_guard lock(mutex_);
      --running_;
    }
    changed_.notify_one();
  }

  void stop(std::exception_ptr error) {
    {
      std::lock_guard lock(mutex_);
      if (!worker_error_) worker_error_ = std::move(error);
    }
    changed_.notify_one();
  }

  // Reads batch `index` and its lookahead byte, seals or opens its segments, writes them.
  Outcome batch(std::uint64_t index, SegmentCipher& cipher, SecureBytes& in, SecureBytes& out) {
    Outcome outcome;
    const std::uint64_t counter = job_.first + index * per_batch_;
    std::size_t have = 0;
    std::exception_ptr read_error;
    try {
      have = read_full_at(job_.in_fd, in, job_.in_offset + index * per_batch_ * in_unit_);
    } catch (...) {
      read_error = std::current_exception();
    }
    // As the serial reader: a segment with a byte behind it is not the last one. After a
    // failed read, the segments read whole, each with its lookahead byte, come first.
    const bool more = have == in.size();
    const std::size_t data = read_error ? (have == 0 ? 0 : (have - 1) / in_unit_ * in_unit_)
                             : more     ? have - 1
                                        : have;
    outcome.ends = !more && !read_error;
    try {
      std::size_t written = data == 0 && outcome.ends ? empty(counter, cipher, out) : 0;
      for (std::size_t at = 0, i = 0; at < data; at += in_unit_, ++i) {
        const std::size_t size = std::min(in_unit_, data - at);
        const bool last = outcome.ends && at + size == data;
        ByteView chunk(in.data() + at, size);
        if (job_.work == PayloadWork::seal) {
          cipher.seal(counter + i, last, chunk,
                      std::span(out).subspan(written, size + kGcmTagSize));
          written += size + kGcmTagSize;
        } else {
          const std::size_t body = size < kGcmTagSize ? 0 : size - kGcmTagSize;
          cipher.open(counter + i, last, chunk, std::span(out).subspan(written, body));
          written += body;
        }
      }
      if (read_error) std::rethrow_exception(read_error);
      write_all_at(job_.out_fd, ByteView(out.data(), written),
                   job_.out_offset + index * per_batch_ * out_unit_);
      outcome.read = data;
      outcome.written = written;
    } catch (...) {
      outcome.error = std::current_exception();
    }
    return outcome;
  }

  // Nothing where segment `counter` begins: an empty payload, or a file cut or shrunk.
  // Returns the bytes of output.
  std::size_t empty(std::uint64_t counter, SegmentCipher& cipher, SecureBytes& out) {
    if (job_.work == PayloadWork::open) {
      cipher.open(counter, true, {}, {});  // throws the serial reader's truncation error
      return 0;
    }
    if (counter != 0)  // the segment before was sealed as having more behind it
      fail(Errc::io, "the input shrank while it was being encrypted");
    cipher.seal(0, true, {}, std::span(out).first(kGcmTagSize));  // an empty payload
    return kGcmTagSize;
  }

  const PositionalJob& job_;
  ByteView key_;
  const HeaderDigest& header_;
  const std::size_t per_batch_;
  const std::size_t in_unit_;
  const std::size_t out_unit_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t next_ = 0;        // the next batch to read
  std::uint64_t end_at_ = kNone;  // the first batch known to end the payload or fail
  Outcome end_;                   // its outcome
  std::exception_ptr worker_error_;
  unsigned running_ = 0;
  std::atomic<std::uint64_t> done_{0};
};

}  // namespace

PositionalResult run_positional(const PositionalJob& job, ByteView payload_key,
                                const HeaderDigest& header,
                                const std::function<void(std::uint64_t)>& progress) {
  if (job.threads == 0) fail(Errc::internal, "a positional payload run needs a thread");
  Run run(job, payload_key, header);
  return run(progress);
}

}  // namespace recrypt::jcd
