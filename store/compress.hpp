#pragma once
// Layer compression: the `Compression` vocabulary of `--compression` and the push-style
// `Compressor`s the layer writer streams its tar through (store/layer_writer.hpp).
//
// A `Compressor` receives consecutive pieces of its input through `write` and hands compressed
// bytes, in order, to its `ByteSink`; `finish` ends the stream and flushes the last bytes. The
// output is one stream whatever the pieces were, and the same input with the same `Compression`
// and level always gives the same bytes (no timestamps, no names, no thread-count dependence),
// which is what makes layer digests reproducible.
//
// - `gzip` (store/compress_gzip.cpp): the input is cut into independent 1 MiB blocks that are
//   compressed in parallel on TBB worker threads (and the calling thread, when it would otherwise
//   wait), each a raw deflate stream ending byte-aligned (full flush), the last one final, joined
//   into ONE gzip member: 10-byte header (mtime 0, OS 255 "unknown", as Go's compress/gzip and
//   so containerd write it), the blocks, CRC-32 and ISIZE of all input. Levels 0-3 are ISA-L's
//   (fast, level 1 the default); 4-9 use zlib per block. Readers see an ordinary gzip file.
//   At most `2 * cores + 2` blocks are in flight, so memory stays bounded (~2 MiB per block).
// - `zstd` (store/compress.cpp): libzstd with `ZSTD_c_nbWorkers` = cores, default level 3, content
//   checksum on; levels 1-19. libzstd's multi-threaded output does not depend on the worker count.
// - `none`: the input passed through unchanged.
//
// Ownership: a `Compressor` owns its buffers and library contexts; the sink is borrowed through
// the `std::function` and must outlive it. Not thread-safe: one producer thread per compressor
// (the gzip compressor's own workers never call the sink; only `write`/`finish` do, on the
// caller's thread).
// Failure: a bad name or level throws `Error{usage}`; an exception thrown by the sink propagates
// out of `write`/`finish` and leaves the compressor unusable; library failures (out of memory)
// throw `Error{internal}`. Destroying an unfinished compressor waits for its workers and drops
// the output.

#include <functional>
#include <memory>
#include <optional>
#include <string_view>

namespace strata::store {

enum class Compression { none, gzip, zstd };

// "gzip", "zstd" or "none" (exactly); anything else throws `Error{usage}` listing the choices.
[[nodiscard]] Compression parse_compression(std::string_view name);
// The name `parse_compression` accepts.
[[nodiscard]] std::string_view to_string(Compression compression);
// The OCI layer media type: application/vnd.oci.image.layer.v1.tar[+gzip|+zstd].
[[nodiscard]] std::string_view layer_media_type(Compression compression);

// Receives compressed bytes, in order. May throw (a full disk); the compressor then fails.
using ByteSink = std::function<void(std::string_view bytes)>;

class Compressor {
public:
  Compressor() = default;
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
  virtual ~Compressor() = default;

  // Feeds the next piece of the input (any size, empty allowed).
  virtual void write(std::string_view bytes) = 0;
  // Ends the stream: every compressed byte has reached the sink when it returns. Call once.
  virtual void finish() = 0;
};

// A compressor for `compression` at `level` (nullopt: the default, chosen for speed). A level out
// of range for the method throws `Error{usage}`; a level with `none` is ignored.
[[nodiscard]] std::unique_ptr<Compressor> make_compressor(Compression compression,
                                                          std::optional<int> level, ByteSink sink);

// ------------------------------------------------------------------------------------------------
// Internal: shared between store/compress.cpp and store/compress_gzip.cpp.

namespace compress_detail {
// `level` already validated (0-9).
[[nodiscard]] std::unique_ptr<Compressor> make_parallel_gzip(int level, ByteSink sink);
} // namespace compress_detail

} // namespace strata::store
