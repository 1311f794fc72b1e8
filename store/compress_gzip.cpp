// The parallel gzip compressor (see store/compress.hpp for the output format).
//
// Why blocks: deflate is inherently serial, but a deflate stream may be cut into pieces that each
// end on a byte boundary (a full flush) and start with an empty history; such pieces compress
// independently and concatenate into one valid stream, as pigz does. We lose at most 32 KiB of
// history at each 1 MiB boundary (well under 1% in size) and gain one core per worker.
//
// Scheduling: each block is a `Job` whose `state` moves queued → claimed → done. A TBB task is
// spawned per job, and the producer thread (the one calling `write`) claims queued jobs itself
// whenever it would otherwise wait for the oldest one, so both cores work even though TBB has
// only `cores - 1` worker threads. Whoever wins the claim compresses; the other does nothing.
// Finished jobs are emitted strictly in order, on the producer thread only, so the sink (hashing
// and writing the blob) needs no locking. Jobs are `shared_ptr`s because a TBB task may still hold
// its job after the producer has emitted it (the task then finds it claimed and returns); the big
// buffers are recycled through a pool, so steady-state streaming allocates nothing.

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <oneapi/tbb/task_group.h>
#include <zlib.h>

#include "common/error.hpp"
#include "common/log.hpp"
#include "store/compress.hpp"

namespace strata::store::compress_detail {
namespace {

constexpr std::size_t k_block = 1UL << 20;
constexpr int k_max_isal_level = ISAL_DEF_MAX_LEVEL;

enum JobState : int { queued = 0, claimed = 1, done = 2 };

struct Buffers {
  std::string input;
  std::string output;
};

struct Job {
  Buffers buffers;
  bool last = false;
  std::uint32_t crc = 0;
  std::atomic<int> state{queued};
  std::exception_ptr error;

  [[nodiscard]] bool try_claim() noexcept {
    int expected = queued;
    return state.compare_exchange_strong(expected, claimed, std::memory_order_acq_rel);
  }
};

// The output bound for stateless ISA-L and zlib: stored blocks cost 5 bytes per 64 KiB.
std::size_t output_bound(std::size_t input) { return input + input / 64 + 1024; }

// Raw deflate of one block with ISA-L; ends byte-aligned (full flush) or final.
void deflate_isal(int level, Job& job) {
  thread_local std::vector<std::uint8_t> level_buf(ISAL_DEF_LVL3_DEFAULT);
  const std::string& in = job.buffers.input;
  std::string& out = job.buffers.output;
  for (std::size_t bound = output_bound(in.size());; bound *= 2) {
    out.resize(bound);
    isal_zstream s{};
    isal_deflate_stateless_init(&s);
    s.level = static_cast<std::uint32_t>(level);
    s.level_buf = level_buf.data();
    s.level_buf_size = static_cast<std::uint32_t>(level_buf.size());
    s.flush = FULL_FLUSH;
    s.end_of_stream = job.last ? 1 : 0;
    s.gzip_flag = IGZIP_DEFLATE;
    s.next_in = reinterpret_cast<std::uint8_t*>(const_cast<char*>(in.data()));
    s.avail_in = static_cast<std::uint32_t>(in.size());
    s.next_out = reinterpret_cast<std::uint8_t*>(out.data());
    s.avail_out = static_cast<std::uint32_t>(out.size());
    const int rc = isal_deflate_stateless(&s);
    if (rc == COMP_OK) {
      out.resize(s.total_out);
      return;
    }
    if (rc != STATELESS_OVERFLOW || bound > 4 * k_block) {
      throw Error(ErrorKind::internal, fmt::format("isal_deflate_stateless failed: {}", rc));
    }
  }
}

// Raw deflate of one block with zlib (levels 4-9, slower and smaller than ISA-L's).
void deflate_zlib(int level, Job& job) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ErrorKind::internal, "deflateInit2 failed");
  }
  std::string& out = job.buffers.output;
  out.resize(deflateBound(&z, job.buffers.input.size()) + 64);
  z.next_in = reinterpret_cast<Bytef*>(job.buffers.input.data());
  z.avail_in = static_cast<uInt>(job.buffers.input.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, job.last ? Z_FINISH : Z_FULL_FLUSH);
  const bool ok = job.last ? rc == Z_STREAM_END : (rc == Z_OK && z.avail_out > 0);
  out.resize(z.total_out);
  std::ignore = deflateEnd(&z);
  if (!ok) {
    throw Error(ErrorKind::internal, fmt::format("zlib deflate failed: {}", rc));
  }
}

// Compresses a claimed job; never throws (the error is kept for the producer).
void compress_job(int level, Job& job) noexcept {
  try {
    const auto& in = job.buffers.input;
    job.crc = crc32_gzip_refl(0, reinterpret_cast<const std::uint8_t*>(in.data()), in.size());
    if (level <= k_max_isal_level) {
      deflate_isal(level, job);
    } else {
      deflate_zlib(level, job);
    }
  } catch (...) {
    job.error = std::current_exception();
  }
  job.state.store(done, std::memory_order_release);
  job.state.notify_all();
}

class ParallelGzip final : public Compressor {
public:
  ParallelGzip(int level, ByteSink sink)
      : level_(level), sink_(std::move(sink)),
        window_(2 * std::max<std::size_t>(1, std::thread::hardware_concurrency()) + 2) {
    current_ = new_job();
  }
  ~ParallelGzip() noexcept override;

  void write(std::string_view bytes) override;
  void finish() override;

private:
  std::shared_ptr<Job> new_job();
  void submit(bool last);
  void retire_oldest();
  [[nodiscard]] bool help_one();
  void emit(Job& job);

  int level_;
  ByteSink sink_;
  std::size_t window_;
  std::shared_ptr<Job> current_;
  std::deque<std::shared_ptr<Job>> in_flight_;
  std::vector<Buffers> pool_;
  tbb::task_group tasks_;
  bool header_written_ = false;
  bool finished_ = false;
  std::uint32_t crc_ = 0;
  std::uint64_t input_size_ = 0;
};

ParallelGzip::~ParallelGzip() noexcept {
  try {
    tasks_.cancel();
    tasks_.wait();
  } catch (const std::exception& e) {
    log::warn("gzip worker failed during cleanup: {}", e.what());
  }
}

std::shared_ptr<Job> ParallelGzip::new_job() {
  auto job = std::make_shared<Job>();
  if (!pool_.empty()) {
    job->buffers = std::move(pool_.back());
    pool_.pop_back();
    job->buffers.input.clear();
  } else {
    job->buffers.input.reserve(k_block);
  }
  return job;
}

void ParallelGzip::write(std::string_view bytes) {
  STRATA_CHECK(!finished_);
  while (!bytes.empty()) {
    std::string& in = current_->buffers.input;
    const std::size_t take = std::min(bytes.size(), k_block - in.size());
    in.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (in.size() == k_block) {
      submit(false);
    }
  }
}

void ParallelGzip::submit(bool last) {
  while (in_flight_.size() >= window_) {
    retire_oldest();
  }
  auto job = std::exchange(current_, nullptr);
  job->last = last;
  in_flight_.push_back(job);
  tasks_.run([job, level = level_] {
    if (job->try_claim()) {
      compress_job(level, *job);
    }
  });
  if (!last) {
    current_ = new_job();
  }
}

// Claims and compresses the oldest queued job on this thread. Returns false if there was none.
bool ParallelGzip::help_one() {
  for (const auto& job : in_flight_) {
    if (job->try_claim()) {
      compress_job(level_, *job);
      return true;
    }
  }
  return false;
}

void ParallelGzip::retire_oldest() {
  Job& oldest = *in_flight_.front();
  while (oldest.state.load(std::memory_order_acquire) != done) {
    if (!help_one()) {
      oldest.state.wait(claimed, std::memory_order_acquire);
    }
  }
  emit(oldest);
  pool_.push_back(std::move(oldest.buffers));
  in_flight_.pop_front();
}

void ParallelGzip::emit(Job& job) {
  if (job.error) {
    std::rethrow_exception(job.error);
  }
  if (!header_written_) {
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL OS=255: no name, no time, so output is reproducible.
    const char xfl = level_ <= 1 ? 4 : (level_ >= 9 ? 2 : 0);
    const char header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, xfl, '\xff'};
    sink_(std::string_view(header, sizeof header));
    header_written_ = true;
  }
  sink_(job.buffers.output);
  const auto size = job.buffers.input.size();
  crc_ = static_cast<std::uint32_t>(crc32_combine(crc_, job.crc, static_cast<z_off_t>(size)));
  input_size_ += size;
}

void ParallelGzip::finish() {
  STRATA_CHECK(!finished_);
  finished_ = true;
  submit(true);
  while (!in_flight_.empty()) {
    retire_oldest();
  }
  tasks_.wait();
  char trailer[8];
  const auto isize = static_cast<std::uint32_t>(input_size_); // RFC 1952: size modulo 2^32
  for (int i = 0; i < 4; ++i) {
    trailer[i] = static_cast<char>((crc_ >> (8 * i)) & 0xff);
    trailer[4 + i] = static_cast<char>((isize >> (8 * i)) & 0xff);
  }
  sink_(std::string_view(trailer, sizeof trailer));
}

} // namespace

std::unique_ptr<Compressor> make_parallel_gzip(int level, ByteSink sink) {
  return std::make_unique<ParallelGzip>(level, std::move(sink));
}

} // namespace strata::store::compress_detail
