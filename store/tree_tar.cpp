// `write_tree_tar`: the layer writer's walk and tar stream (store/layer_writer_internal.hpp)
// without compression or a blob store.

#include "store/tree_tar.hpp"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "common/error.hpp"
#include "store/layer_writer_internal.hpp"

namespace strata::store {

TreeTarStats write_tree_tar(int source_dir_fd, const ByteSink& sink) {
  using layer_writer_detail::TarStream;
  using layer_writer_detail::TreeWalker;
  // `none` hands the tar through unchanged; TarStream's diff-ID hashing is the one cost left.
  const auto out = make_compressor(Compression::none, std::nullopt, sink);
  TarStream tar(*out);
  LayerWriteOptions options;
  options.compression = Compression::none;
  TreeWalker walker(tar, options);
  walker.walk(source_dir_fd);
  tar.close();
  out->finish();
  return {.tar_size = tar.tar_size(), .content_size = walker.content_size()};
}

ByteSink fd_sink(int fd, std::string label) {
  return [fd, label = std::move(label)](std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::write(fd, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        throw_errno("write", label);
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  };
}

} // namespace strata::store
