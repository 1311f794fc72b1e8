// `DiffHasher` (archive_load_internal.hpp): the diff ID of a layer computed while its compressed
// bytes stream out of an archive, so `load` can check every config's diff IDs before publishing
// anything. zlib and libzstd run in-process on a push-style stream; the decompressed bytes are
// only hashed, never kept (memory stays at the codec's window plus one output buffer).

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "common/error.hpp"
#include "store/archive_load_internal.hpp"
#include "store/sha256.hpp"

namespace strata::store::archive_detail {
namespace {

constexpr std::size_t k_out = 256UL << 10;
constexpr std::uint64_t k_max_bytes = 64ULL << 30;
constexpr std::uint64_t k_ratio_floor = 1UL << 20;
constexpr std::uint64_t k_max_ratio = 1000;

} // namespace

struct DiffHasher::Codec {
  Sha256 hash;
  std::uint64_t in = 0;
  std::uint64_t out = 0;
  z_stream z{};
  bool z_member_done = false;
  ZSTD_DStream* zstd = nullptr;
  std::size_t zstd_left = 1; // ZSTD_decompressStream's hint: 0 once a frame is complete
  std::unique_ptr<char[]> buffer = std::make_unique_for_overwrite<char[]>(k_out);

  Codec() = default;
  Codec(const Codec&) = delete;
  Codec& operator=(const Codec&) = delete;
  ~Codec() {
    if (zstd != nullptr) {
      ZSTD_freeDStream(zstd);
    }
    inflateEnd(&z);
  }

  void produced(std::size_t n, const std::string& label) {
    hash.update(std::string_view(buffer.get(), n));
    out += n;
    if (out > k_max_bytes) {
      fail(fmt::format("layer {} decompresses to more than {} bytes", quote_entry(label),
                       k_max_bytes));
    }
    if (out > k_ratio_floor && out / std::max<std::uint64_t>(in, 1) > k_max_ratio) {
      fail(fmt::format("layer {} decompresses more than {}x (compression bomb?)",
                       quote_entry(label), k_max_ratio));
    }
  }
};

DiffHasher::DiffHasher(std::string label) : label_(std::move(label)) {}
DiffHasher::~DiffHasher() = default;

void DiffHasher::start(std::string_view head) {
  started_ = true;
  if (head.starts_with("\x1f\x8b")) {
    compression_ = Compression::gzip;
    codec_ = std::make_unique<Codec>();
    if (inflateInit2(&codec_->z, 16 + MAX_WBITS) != Z_OK) { // 16: gzip wrapper
      throw Error(ErrorKind::internal, "inflateInit2 failed");
    }
  } else if (head.starts_with("\x28\xb5\x2f\xfd")) {
    compression_ = Compression::zstd;
    codec_ = std::make_unique<Codec>();
    codec_->zstd = ZSTD_createDStream();
    if (codec_->zstd == nullptr) {
      throw Error(ErrorKind::internal, "ZSTD_createDStream: out of memory");
    }
  }
}

void DiffHasher::update(std::string_view bytes) {
  if (started_) {
    decode(bytes);
    return;
  }
  if (head_.empty() && bytes.size() >= 4) {
    start(bytes);
    decode(bytes);
    return;
  }
  head_.append(bytes); // a first piece shorter than the magic: wait for more
  if (head_.size() >= 4) {
    start(head_);
    decode(std::exchange(head_, {}));
  }
}

void DiffHasher::decode(std::string_view bytes) {
  if (!codec_ || bytes.empty()) {
    return;
  }
  Codec& c = *codec_;
  c.in += bytes.size();
  if (compression_ == Compression::zstd) {
    ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{c.buffer.get(), k_out, 0};
      const std::size_t r = ZSTD_decompressStream(c.zstd, &output, &input);
      if (ZSTD_isError(r) != 0) {
        fail(fmt::format("layer {}: zstd: {}", quote_entry(label_), ZSTD_getErrorName(r)));
      }
      c.produced(output.pos, label_);
      c.zstd_left = r;
    }
    return;
  }
  c.z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  c.z.avail_in = static_cast<uInt>(bytes.size());
  while (c.z.avail_in > 0) {
    if (c.z_member_done) { // another gzip member follows: Go and libarchive read them all
      inflateReset(&c.z);
      c.z_member_done = false;
    }
    c.z.next_out = reinterpret_cast<Bytef*>(c.buffer.get());
    c.z.avail_out = static_cast<uInt>(k_out);
    const int r = inflate(&c.z, Z_NO_FLUSH);
    if (r != Z_OK && r != Z_STREAM_END && !(r == Z_BUF_ERROR && c.z.avail_out == 0)) {
      fail(fmt::format("layer {}: gzip: {}", quote_entry(label_),
                       c.z.msg != nullptr ? c.z.msg : "invalid data"));
    }
    c.produced(k_out - c.z.avail_out, label_);
    c.z_member_done = r == Z_STREAM_END;
  }
}

std::optional<Digest> DiffHasher::finish() {
  if (!started_) {
    start(head_);
    decode(std::exchange(head_, {}));
  }
  if (!codec_) {
    return std::nullopt;
  }
  if ((compression_ == Compression::gzip && !codec_->z_member_done) ||
      (compression_ == Compression::zstd && codec_->zstd_left != 0)) {
    fail(fmt::format("layer {}: compressed stream is truncated", quote_entry(label_)));
  }
  return codec_->hash.finish();
}

} // namespace strata::store::archive_detail
