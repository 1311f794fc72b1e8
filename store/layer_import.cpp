#include "store/layer_import.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "store/atomic_file.hpp"
#include "store/media_types.hpp"
#include "store/tar_apply.hpp"

namespace strata::store {
namespace {

constexpr std::size_t k_import_chunk = 1UL << 20;

std::string_view media_type_of(std::string_view head) {
  if (head.starts_with("\x1f\x8b")) {
    return media_type::oci_layer_gzip;
  }
  if (head.starts_with("\x28\xb5\x2f\xfd")) {
    return media_type::oci_layer_zstd;
  }
  if (head.starts_with("BZh")) {
    throw Error(ErrorKind::usage, "bzip2-compressed input is not supported: use tar, gzip or zstd");
  }
  if (head.starts_with("\xfd" "7zXZ")) {
    throw Error(ErrorKind::usage, "xz-compressed input is not supported: use tar, gzip or zstd");
  }
  return media_type::oci_layer;
}

ssize_t read_some(int fd, char* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0 || errno != EINTR) {
      return n;
    }
  }
}

// Copies the input into the blob writer and the pipe. A closed pipe (the applier stopped early on
// an error) ends the copy; the applier's error is the one reported.
struct Pump {
  int input_fd;
  UniqueFd pipe_write;
  BlobWriter* writer;
  std::string media_type;
  std::exception_ptr error;

  void run() {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, nullptr); // EPIPE instead of a signal
    try {
      copy();
    } catch (...) {
      error = std::current_exception();
    }
    pipe_write.close();
  }

  void copy() {
    const auto buffer = std::make_unique_for_overwrite<char[]>(k_import_chunk);
    bool pipe_open = true;
    for (bool first = true;; first = false) {
      const ssize_t n = read_some(input_fd, buffer.get(), k_import_chunk);
      if (n < 0) {
        throw_errno("read", "layer input");
      }
      if (n == 0) {
        return;
      }
      const std::string_view piece(buffer.get(), static_cast<std::size_t>(n));
      if (first) {
        media_type = std::string(media_type_of(piece));
      }
      writer->write(piece);
      if (pipe_open) {
        try {
          write_all(pipe_write.get(), piece, "layer pipe");
        } catch (const Error&) {
          pipe_open = false; // the applier failed; keep draining so it reports its error
          return;
        }
      }
    }
  }
};

} // namespace

ImportedLayer import_layer(ImageStore& store, int input_fd,
                           const std::optional<Digest>& parent_chain) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw_errno("create", "pipe");
  }
  UniqueFd pipe_read(fds[0]);
  BlobWriter writer = store.blobs().writer();
  Pump pump{input_fd, UniqueFd(fds[1]), &writer, std::string(media_type::oci_layer), nullptr};
  std::thread thread([&pump] { pump.run(); });
  std::optional<ApplyResult> applied;
  std::exception_ptr apply_error;
  std::optional<SnapshotInfo> snapshot;
  try {
    snapshot = store.snapshots().create_streamed(parent_chain, [&](int fs_fd) {
      ApplyOptions options;
      options.privileged = ::geteuid() == 0 ? Privileged::yes : Privileged::no;
      options.whiteouts = WhiteoutMode::overlay;
      applied = apply_layer(pipe_read.get(), fs_fd, options);
      if (pump.error) {
        std::rethrow_exception(pump.error);
      }
      return FilledLayer{applied->diff_id, applied->content_bytes};
    });
  } catch (...) {
    apply_error = std::current_exception();
  }
  pipe_read.close(); // unblocks the pump if the applier stopped early
  thread.join();
  if (apply_error) {
    std::rethrow_exception(apply_error);
  }
  if (pump.error) {
    std::rethrow_exception(pump.error);
  }
  const PutResult blob = writer.publish(applied->compressed_digest);
  return {Descriptor{pump.media_type, blob.digest, blob.size, {}, std::nullopt}, *snapshot};
}

} // namespace strata::store
