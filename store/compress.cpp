// Compression names, the factory, and the simple compressors (none, zstd). The parallel gzip
// compressor is in store/compress_gzip.cpp.

#include "store/compress.hpp"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <zstd.h>

#include "common/error.hpp"

namespace strata::store {
namespace {

constexpr int k_zstd_default_level = 3;
constexpr int k_zstd_max_level = 19; // 20-22 ("ultra") need huge windows; not offered
constexpr int k_zstd_job_size = 4 << 20;
constexpr int k_gzip_default_level = 1;
constexpr int k_gzip_max_level = 9;

class Passthrough final : public Compressor {
public:
  explicit Passthrough(ByteSink sink) : sink_(std::move(sink)) {}
  void write(std::string_view bytes) override {
    if (!bytes.empty()) {
      sink_(bytes);
    }
  }
  void finish() override {}

private:
  ByteSink sink_;
};

struct ZstdDeleter {
  void operator()(ZSTD_CCtx* cctx) const noexcept { ZSTD_freeCCtx(cctx); }
};

// libzstd's own worker threads compress; `write` only copies into its job buffers, so the caller's
// thread stays free to produce the tar.
class Zstd final : public Compressor {
public:
  Zstd(int level, ByteSink sink) : sink_(std::move(sink)), cctx_(ZSTD_createCCtx()) {
    if (!cctx_) {
      throw Error(ErrorKind::internal, "ZSTD_createCCtx: out of memory");
    }
    const int workers = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, level));
    check(ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1));
    // Without thread support in libzstd this fails; single-threaded output is still valid.
    std::ignore = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_nbWorkers, workers);
    // libzstd's default job (4x the window: 8 MiB at level 3) with its buffers in flight costs
    // ~75 MB of RSS; 4 MiB jobs keep it near 46 MB (2 MiB: 30 MB, but ~10% slower on 2 cores).
    // A fixed size keeps the output independent of the worker count.
    std::ignore = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_jobSize, k_zstd_job_size);
    out_.resize(ZSTD_CStreamOutSize());
  }

  void write(std::string_view bytes) override { run(bytes, ZSTD_e_continue); }
  void finish() override { run({}, ZSTD_e_end); }

private:
  static std::size_t check(std::size_t code) {
    if (ZSTD_isError(code) != 0U) {
      throw Error(ErrorKind::internal, fmt::format("zstd: {}", ZSTD_getErrorName(code)));
    }
    return code;
  }

  void run(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{out_.data(), out_.size(), 0};
      const std::size_t remaining = check(ZSTD_compressStream2(cctx_.get(), &out, &in, mode));
      if (out.pos > 0) {
        sink_(std::string_view(out_.data(), out.pos));
      }
      const bool done = mode == ZSTD_e_end ? remaining == 0 : in.pos == in.size;
      if (done) {
        return;
      }
    }
  }

  ByteSink sink_;
  std::unique_ptr<ZSTD_CCtx, ZstdDeleter> cctx_;
  std::string out_;
};

int checked_level(std::optional<int> level, int fallback, int low, int high, std::string_view name) {
  const int value = level.value_or(fallback);
  if (value < low || value > high) {
    throw Error(ErrorKind::usage, fmt::format("invalid compression level {} for {}: expected {}-{}",
                                              value, name, low, high));
  }
  return value;
}

} // namespace

Compression parse_compression(std::string_view name) {
  for (const auto c : {Compression::gzip, Compression::zstd, Compression::none}) {
    if (name == to_string(c)) {
      return c;
    }
  }
  throw Error(ErrorKind::usage,
              fmt::format("invalid compression \"{}\": expected gzip, zstd or none",
                          std::string(name.substr(0, 100))));
}

std::string_view to_string(Compression compression) {
  switch (compression) {
  case Compression::none:
    return "none";
  case Compression::gzip:
    return "gzip";
  case Compression::zstd:
    return "zstd";
  }
  STRATA_CHECK(false);
  return {};
}

std::string_view layer_media_type(Compression compression) {
  switch (compression) {
  case Compression::none:
    return "application/vnd.oci.image.layer.v1.tar";
  case Compression::gzip:
    return "application/vnd.oci.image.layer.v1.tar+gzip";
  case Compression::zstd:
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  STRATA_CHECK(false);
  return {};
}

std::unique_ptr<Compressor> make_compressor(Compression compression, std::optional<int> level,
                                            ByteSink sink) {
  switch (compression) {
  case Compression::none:
    return std::make_unique<Passthrough>(std::move(sink));
  case Compression::gzip:
    return compress_detail::make_parallel_gzip(
        checked_level(level, k_gzip_default_level, 0, k_gzip_max_level, "gzip"), std::move(sink));
  case Compression::zstd:
    return std::make_unique<Zstd>(
        checked_level(level, k_zstd_default_level, 1, k_zstd_max_level, "zstd"), std::move(sink));
  }
  STRATA_CHECK(false);
  return {};
}

} // namespace strata::store
