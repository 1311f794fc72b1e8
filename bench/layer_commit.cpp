// Layer commit throughput: `write_layer` of a directory into a throw-away store, as `strata commit`
// and every build step do. Prints one line: input size, time, MB/s of tree content, blob size.
// `layer_bench.sh` runs it against `tar | pigz` and `tar | zstd` and writes
// bench/results-layer.txt.
//
//   layer_commit [--compression gzip|zstd|none] [--level N] [--overlay] [--store-parent DIR] DIR

#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/temp_dir.hpp"
#include "common/unique_fd.hpp"
#include "store/blob_store.hpp"
#include "store/layer_writer.hpp"

namespace {

struct Args {
  strata::store::LayerWriteOptions options;
  std::string store_parent = "/var/tmp";
  std::string source;
};

Args parse_args(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        throw strata::Error(strata::ErrorKind::usage, fmt::format("{} needs a value", arg));
      }
      return argv[++i];
    };
    if (arg == "--compression") {
      args.options.compression = strata::store::parse_compression(value());
    } else if (arg == "--level") {
      args.options.level = std::stoi(value());
    } else if (arg == "--overlay") {
      args.options.source = strata::store::LayerSource::overlay_upper;
    } else if (arg == "--store-parent") {
      args.store_parent = value();
    } else if (args.source.empty() && !arg.starts_with("-")) {
      args.source = arg;
    } else {
      throw strata::Error(strata::ErrorKind::usage, fmt::format("unknown argument {}", arg));
    }
  }
  if (args.source.empty()) {
    throw strata::Error(strata::ErrorKind::usage,
                        "usage: layer_commit [--compression gzip|zstd|none] [--level N] "
                        "[--overlay] [--store-parent DIR] DIR");
  }
  return args;
}

} // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse_args(argc, argv);
    const strata::TempDir tmp("layer-commit-", args.store_parent);
    auto store = strata::store::BlobStore::open(tmp.path() + "/store");
    const strata::UniqueFd source(open(args.source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!source) {
      strata::throw_errno("open", args.source);
    }
    const auto start = std::chrono::steady_clock::now();
    const auto blob = strata::store::write_layer(store, source.get(), args.options);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    const double mb = static_cast<double>(blob.content_size) / 1e6;
    fmt::print("{:<5} {:8.1f} MB content, tar {:8.1f} MB -> blob {:8.1f} MB in {:6.3f} s = "
               "{:7.1f} MB/s\n",
               strata::store::to_string(args.options.compression), mb,
               static_cast<double>(blob.tar_size) / 1e6, static_cast<double>(blob.size) / 1e6,
               took.count(), mb / took.count());
    return 0;
  } catch (const strata::Error& e) {
    fmt::print(stderr, "layer_commit: {}\n", e.what());
    return e.kind() == strata::ErrorKind::usage ? 2 : 1;
  }
}
